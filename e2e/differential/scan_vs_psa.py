#!/usr/bin/env python3
"""Differential test: `bulwark scan` against the API server's own Pod Security Admission.

Generates seeded pods whose security fields are written in every spelling Kubernetes' decoder
accepts (YAML 1.1 booleans, integers in every base, with underscores or as integral floats, tags,
flow and block styles, anchors, aliases, merge keys; JSON numbers as integral floats, names and
strings partly written as \\u escapes, whitespace between tokens) and writes
them as multi-document YAML files and JSON List files. The pinned kubectl decodes each file and
the API server judges it with `--dry-run=server` in namespaces that enforce baseline and
restricted. For every pod the API server accepted or forbade, the verdict of `bulwark scan` on the
original file must be the same. Pods the API server finds invalid for other reasons are counted
and left out; too many of them fail the test, since they would hide what it is for.

What go-yaml v2 (kubectl's decoder) was read for, scanner and resolver, and what the generators
write of it (the YamlWriter methods named):
- line breaks (is_break, read_line): LF, CR, U+0085, U+2028 and U+2029 all end a line, also
  inside a comment; `join` ends lines with each, bare or after a comment.
- merge keys (isMerge): "<<" plain, tagged !!merge (also verbatim, also quoted), or tagged "!"
  (also `! "<<"`, `!<!> <<`); `merge_key` writes each. Untagged quoted "<<" is a literal key,
  which the API server's strict decoding refuses, so it is in the unit tests only.
- keys (scan_flow_scalar, scan_plain_scalar): single- and double-quoted, with \\x, \\u and
  \\U escapes, and explicit `? key : value` entries in flow and block style; `key` and `entry`.
- scalars (resolve): the booleans, integer bases, underscores, integral floats and tags above,
  and block scalars (`|-`, `>-`) for strings; `scalar`.
- Checked and not generated: %TAG directives (yaml-cpp resolves them as go-yaml does, unit-tested
  spellings only); a BOM (both drop it at the start, both keep it elsewhere); an empty flow
  entry and "..." or "--- text" inside a document, which kubectl's splitter or go-yaml refuse or
  drop while Bulwark reads them: Bulwark then judges more than the cluster sees, never less.

usage: scan_vs_psa.py --bulwark BIN --kubectl KUBECTL [--seed N] [--cases N] [--workdir DIR]
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

# Every spelling go-yaml v2 (through sigs.k8s.io/yaml) reads as true or false.
YAML_TRUE = ["true", "True", "TRUE", "y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
             "!!bool yes", "!!bool 'true'", "!!bool On"]
YAML_FALSE = ["false", "False", "FALSE", "n", "N", "no", "No", "NO", "off", "Off", "OFF",
              "!!bool no", "!!bool \"false\""]


def yaml_int(rng, n):
    """n spelled as go-yaml v2 reads it: any base, sign, underscores, integral floats, tags."""
    forms = [str(n), f"+{n}", hex(n), f"0o{n:o}", f"0{n:o}" if n else "00", f"0b{n:b}",
             f"{n}.0", f"{n}.", f"{n}e0", f"!!int {n}", f"!!float {n}", f"!!int '{hex(n)}'"]
    if n == 0:
        forms += ["-0", "0_0", "0x0_0", ".0", "-0.0", "0e5", "0x00", "-0x0"]
    if n >= 1000:
        forms += [f"{n:_}", f"{n / 1000:g}e3" if n % 1000 == 0 else str(n)]
    return rng.choice(forms)


def json_int(rng, n):
    forms = [str(n), f"{n}.0", f"{n}e0", f"{n}.000", f"{n}E+0", f"{n * 10}e-1"]
    if n == 0:
        forms += ["-0", "0e10", "-0.0", "0.0E-5"]
    else:
        forms += [f"{n}00E-2", f"0.{n}e{len(str(n))}"]  # 1000 as 100000E-2, 0.1000e4
    return rng.choice(forms)


def json_str(rng, s):
    """s as a JSON string, some characters written as escapes (\\u0070, \\u0050, \\/) that Go's
    decoder reads back to the same text: a reader that took them apart would judge other names."""
    out = []
    for ch in s:
        r = rng.random()
        if ch == "/" and r < 0.3:
            out.append("\\/")
        elif r < 0.12:
            out.append(rng.choice(["\\u%04x", "\\u%04X"]) % ord(ch))
        else:
            out.append(json.dumps(ch)[1:-1])
    return '"' + "".join(out) + '"'


def json_space(rng):
    """Whitespace JSON allows between tokens, mostly none."""
    return rng.choice(["", "", "", " ", "\t", "\n", "\r\n  "])


def yaml_str(rng, s):
    return rng.choice([s, f"'{s}'", f'"{s}"', f"!!str {s}"])


def yaml_key(rng, k):
    """A mapping key as go-yaml v2 reads it back to k: plain, quoted, or with escapes."""
    r = rng.random()
    if r < 0.8 or k in ("containers", "securityContext"):  # share_context finds these as written
        return k
    if r < 0.87:
        return f"'{k}'"
    escaped = []
    for ch in k:
        form = rng.choice(["", "", "\\x%02x", "\\u%04X", "\\U%08x"])
        escaped.append(form % ord(ch) if form else ch)
    return '"' + "".join(escaped) + '"'


# Every line break go-yaml v2 knows (is_break); the writer ends some lines with one, bare or after
# a comment, where Bulwark once read the rest of the line as part of the comment.
LINE_BREAKS = ["\r", "\u0085", "\u2028", "\u2029"]

# Marks a block scalar's content line for `join`.
BLOCK_CONTENT = "\0"

# Every spelling of a merge key go-yaml v2 applies (isMerge).
MERGE_KEYS = ["<<", "! <<", '! "<<"', "!<!> <<", "!!merge <<", "!!merge '<<'",
              "!<tag:yaml.org,2002:merge> <<"]


def random_pod(rng, name):
    """A pod as a nested dict of ('bool', v) / ('int', v) / ('str', v) leaves."""
    pod_sc, c_sc = {}, {}
    spec = {}
    if rng.random() < 0.12:
        spec["hostNetwork"] = ("bool", rng.random() < 0.5)
    if rng.random() < 0.12:
        spec["hostPID"] = ("bool", rng.random() < 0.5)
    if rng.random() < 0.12:
        spec["hostIPC"] = ("bool", rng.random() < 0.5)
    if rng.random() < 0.8:
        pod_sc["runAsNonRoot"] = ("bool", rng.random() < 0.85)
    if rng.random() < 0.3:
        pod_sc["runAsUser"] = ("int", rng.choice([0, 0, 1000, 65534]))
    if rng.random() < 0.8:
        pod_sc["seccompProfile"] = {"type": ("str", rng.choice(
            ["RuntimeDefault"] * 6 + ["Unconfined"]))}
    privileged = rng.random() < 0.1
    if privileged:
        c_sc["privileged"] = ("bool", True)
    elif rng.random() < 0.1:
        c_sc["privileged"] = ("bool", False)
    if rng.random() < 0.85 and not privileged:
        c_sc["allowPrivilegeEscalation"] = ("bool", rng.random() < 0.15)
    elif rng.random() < 0.3:
        c_sc["allowPrivilegeEscalation"] = ("bool", True)
    caps = {}
    if rng.random() < 0.85:
        caps["drop"] = [("str", rng.choice(["ALL"] * 8 + ["NET_RAW"]))]
    if rng.random() < 0.15:
        caps["add"] = [("str", rng.choice(["NET_BIND_SERVICE", "NET_RAW", "CHOWN", "SYS_TIME"]))]
    if caps:
        c_sc["capabilities"] = caps
    if rng.random() < 0.15:
        c_sc["runAsUser"] = ("int", rng.choice([0, 1000]))
    if rng.random() < 0.1:
        c_sc["runAsNonRoot"] = ("bool", rng.random() < 0.5)
    container = {"name": ("str", "app"), "image": ("str", "registry.example/app:1")}
    if rng.random() < 0.15 and not spec.get("hostNetwork", ("bool", False))[1]:
        container["ports"] = [{"containerPort": ("int", 8080),
                               "hostPort": ("int", rng.choice([0, 0, 8080]))}]
    if c_sc:
        container["securityContext"] = c_sc
    if pod_sc:
        spec["securityContext"] = pod_sc
    spec["containers"] = [container]
    if rng.random() < 0.3:
        second = {"name": ("str", "side"), "image": ("str", "registry.example/side:1")}
        spec["containers"].append(second)
    return {"apiVersion": ("str", "v1"), "kind": ("str", "Pod"),
            "metadata": {"name": ("str", name)}, "spec": spec}


class YamlWriter:
    """Writes one pod in a random mix of styles; the second container, if any, shares the first
    one's securityContext through an alias or a merge key."""

    def __init__(self, rng):
        self.rng = rng

    def scalar(self, leaf):
        kind, v = leaf
        if kind == "alias":
            return "__ALIAS__"
        if kind == "bool":
            return self.rng.choice(YAML_TRUE if v else YAML_FALSE)
        if kind == "int":
            return yaml_int(self.rng, v)
        return yaml_str(self.rng, v)

    def key(self, k):
        return yaml_key(self.rng, k)

    def flow(self, node):
        if isinstance(node, tuple):
            return self.scalar(node)
        if isinstance(node, list):
            return "[" + ", ".join(self.flow(x) for x in node) + "]"
        return "{" + ", ".join(self.entry(k, v) for k, v in node.items()) + "}"

    def entry(self, k, v):
        """One flow mapping entry, sometimes with the explicit key indicator."""
        prefix = "? " if self.rng.random() < 0.1 else ""
        return f"{prefix}{self.key(k)}: {self.flow(v)}"

    def block_scalar(self, pad, k, leaf, out):
        r = self.rng.random()
        if leaf[0] == "str" and r < 0.08:
            out.append(f"{pad}{self.key(k)}: {self.rng.choice(['|-', '>-'])}")
            out.append(f"{pad}  {leaf[1]}" + BLOCK_CONTENT)
        elif r < 0.14 and leaf[0] != "alias":
            out.append(f"{pad}? {self.key(k)}")
            out.append(f"{pad}: {self.scalar(leaf)}")
        else:
            out.append(f"{pad}{self.key(k)}: {self.scalar(leaf)}")

    def join(self, lines):
        """Lines ended mostly by LF, some by another break go-yaml v2 knows, bare or after a
        comment."""
        out = []
        for line in lines:
            content = line.endswith(BLOCK_CONTENT)  # a comment there would be content
            out.append(line.removesuffix(BLOCK_CONTENT))
            r = self.rng.random()
            if r < 0.06 and not content:
                out.append(" # note" + self.rng.choice(LINE_BREAKS))
            elif r < 0.1:
                out.append(self.rng.choice(LINE_BREAKS))
            else:
                out.append("\n")
        return "".join(out[:-1]) + "\n"

    def block(self, node, indent, out):
        pad = "  " * indent
        for k, v in node.items():
            if isinstance(v, tuple):
                self.block_scalar(pad, k, v, out)
            elif isinstance(v, dict) and self.rng.random() < 0.4:
                out.append(f"{pad}{k}: {self.flow(v)}")
            elif isinstance(v, dict):
                out.append(f"{pad}{k}:")
                self.block(v, indent + 1, out)
            elif self.rng.random() < 0.4 or all(isinstance(x, tuple) for x in v):
                out.append(f"{pad}{k}: {self.flow(v)}")
            else:
                out.append(f"{pad}{k}:")
                for item in v:
                    lines = []
                    self.block(item, indent + 2, lines)
                    first = lines[0].lstrip()
                    out.append(f"{pad}  - {first}")
                    out.extend(lines[1:])

    def pod(self, pod):
        containers = pod["spec"]["containers"]
        shared = len(containers) == 2 and "securityContext" in containers[0]
        privileged = shared and containers[0]["securityContext"].get("privileged", (0, 0))[1]
        if shared:
            containers[1] = dict(containers[1])
            containers[1]["securityContext"] = ("alias", None)
        lines = []
        self.block(pod, 0, lines)
        text = self.join(lines)
        if shared:
            text = self.share_context(text, privileged)
        return text

    def share_context(self, text, privileged):
        """Anchors the first securityContext and points the second at it."""
        first = text.index("securityContext:", text.index("containers"))
        text = text[:first] + "securityContext: &sc" + text[first + len("securityContext:"):]
        choice = self.rng.random()
        if choice < 0.5:
            ref = "*sc"
        elif choice < 0.75 or privileged:  # privileged with allowPrivilegeEscalation false is invalid
            ref = "{" + self.rng.choice(MERGE_KEYS) + ": *sc}"
        else:
            # go-yaml v2 applies a merge where it stands: the key before it is overwritten.
            ref = ("{allowPrivilegeEscalation: " + self.rng.choice(YAML_FALSE[:3]) + ", " +
                   self.rng.choice(MERGE_KEYS) + ": *sc}")
        return text.replace("__ALIAS__", ref)


def json_value(rng, node):
    if isinstance(node, tuple):
        kind, v = node
        if kind == "bool":
            return "true" if v else "false"
        if kind == "int":
            return json_int(rng, v)
        return json_str(rng, v)
    sp = json_space
    if isinstance(node, list):
        return "[" + ",".join(sp(rng) + json_value(rng, x) + sp(rng) for x in node) + "]"
    return "{" + ",".join(f"{sp(rng)}{json_str(rng, k)}{sp(rng)}:{sp(rng)}{json_value(rng, v)}"
                          for k, v in node.items()) + sp(rng) + "}"


def write_cases(rng, workdir, cases, batch):
    files, names = [], []
    yaml_writer = YamlWriter(rng)
    n_json = cases // 5
    for start in range(0, cases - n_json, batch):
        docs = []
        for i in range(start, min(start + batch, cases - n_json)):
            name = f"y{i:05d}"
            names.append(name)
            docs.append(yaml_writer.pod(random_pod(rng, name)))
        path = os.path.join(workdir, f"pods-{start:05d}.yaml")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write("---\n".join(docs))
        files.append(path)
    for start in range(0, n_json, batch):
        items = []
        for i in range(start, min(start + batch, n_json)):
            name = f"j{i:05d}"
            names.append(name)
            items.append(json_value(rng, random_pod(rng, name)))
        path = os.path.join(workdir, f"pods-{start:05d}.json")
        with open(path, "w") as f:
            f.write('{"apiVersion":"v1","kind":"List","items":[' + ",\n".join(items) + "]}")
        files.append(path)
    return files, names


FORBIDDEN = re.compile(r'pods "([^"]+)" is forbidden: violates PodSecurity')
OTHER_ERROR = re.compile(r'(?:pods|Pod) "([^"]+)" is (invalid|forbidden)')


def api_server_verdicts(kubectl, namespace, path):
    """{name: 'violating' | 'compliant' | 'invalid'} for one file, from a server dry run."""
    r = subprocess.run([kubectl, "create", "--dry-run=server", "-n", namespace, "-f", path,
                        "-o", "name"], capture_output=True, text=True)
    verdicts = {}
    for line in r.stdout.splitlines():
        if line.startswith("pod/"):
            verdicts[line[4:]] = "compliant"
    for line in r.stderr.splitlines():
        m = FORBIDDEN.search(line)
        if m:
            verdicts[m.group(1)] = "violating"
            continue
        m = OTHER_ERROR.search(line)
        if m:
            verdicts[m.group(1)] = "invalid: " + line[-200:]
        elif "error parsing" in line or "error validating" in line:
            raise SystemExit(f"kubectl could not read {path}: {line}")
    return verdicts


def bulwark_verdicts(bulwark, level, path):
    r = subprocess.run([bulwark, "scan", "-f", path, "--level", level, "-o", "json"],
                       capture_output=True, text=True)
    if r.returncode not in (0, 1):
        raise SystemExit(f"bulwark scan {path} exited {r.returncode}: {r.stderr[-2000:]}")
    return {x["name"]: x["posture"] for x in json.loads(r.stdout)["results"]}


def merge_keys_time(bulwark, kubectl, workdir, keys=200000):
    """Reading a pod whose labels hold `keys` merge keys: Bulwark's time beside kubectl's decoder
    on the same file (client dry run). Each merge once searched all the others (20 s for 200,000
    against kubectl's 0.4 s). True when Bulwark takes at most twice kubectl's time."""
    path = os.path.join(workdir, "merge-keys.yaml")
    with open(path, "w") as f:
        f.write("apiVersion: v1\nkind: Pod\nmetadata:\n  name: merges\n  labels:\n")
        f.write("    <<: {}\n" * keys)
        f.write("    app: x\nspec:\n  containers: [{name: app, image: registry.example/app:1}]\n")
    times = {}
    # The best of three each, taken in turn: the test runs beside others, whose load comes and goes.
    for _ in range(3):
        for who, cmd in (("kubectl", [kubectl, "create", "--dry-run=client", "-o", "name", "-f",
                                      path]),
                         ("bulwark", [bulwark, "scan", "-f", path, "-o", "json"])):
            begin = time.monotonic()
            r = subprocess.run(cmd, capture_output=True, text=True)
            took = time.monotonic() - begin
            times[who] = min(times.get(who, took), took)
            if r.returncode not in (0, 1):
                raise SystemExit(f"{who} could not read {path}: {r.stderr[-500:]}")
    ok = times["bulwark"] <= 2 * times["kubectl"]
    print(f"{keys} merge keys in one mapping: bulwark {times['bulwark']:.2f} s, kubectl's decoder "
          f"{times['kubectl']:.2f} s (floor of this run); {'ok' if ok else 'FAIL: over 2x'}")
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bulwark", required=True)
    ap.add_argument("--kubectl", required=True)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("BULWARK_DIFF_SEED", "20261128")))
    ap.add_argument("--cases", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=250)
    ap.add_argument("--workdir")
    args = ap.parse_args()
    start = time.monotonic()
    rng = random.Random(args.seed)
    workdir = args.workdir or tempfile.mkdtemp(prefix="bulwark-diff-")
    os.makedirs(workdir, exist_ok=True)
    files, names = write_cases(rng, workdir, args.cases, args.batch)
    levels = {"baseline": "bulwark-diff-baseline", "restricted": "bulwark-diff-restricted"}
    for level, ns in levels.items():
        subprocess.run([args.kubectl, "create", "namespace", ns], capture_output=True)
        subprocess.run([args.kubectl, "label", "--overwrite", "namespace", ns,
                        f"pod-security.kubernetes.io/enforce={level}",
                        "pod-security.kubernetes.io/enforce-version=latest"],
                       check=True, capture_output=True)
    jobs = [(level, ns, f) for level, ns in levels.items() for f in files]
    with ThreadPoolExecutor(max_workers=4) as pool:
        server = list(pool.map(lambda j: api_server_verdicts(args.kubectl, j[1], j[2]), jobs))
        ours = list(pool.map(lambda j: bulwark_verdicts(args.bulwark, j[0], j[2]), jobs))
    compared = invalid = violating = 0
    mismatches = []
    for (level, _, path), theirs, mine in zip(jobs, server, ours):
        for name, verdict in sorted(theirs.items()):
            if verdict.startswith("invalid"):
                invalid += 1
                continue
            compared += 1
            violating += verdict == "violating"
            if mine.get(name) != verdict:
                mismatches.append(f"{level} {path} {name}: API server {verdict}, "
                                  f"bulwark {mine.get(name, '(not reported)')}")
    expected = 2 * len(names)
    seen = compared + invalid
    print(f"seed {args.seed}: {len(names)} pods x 2 levels, {compared} verdicts compared, "
          f"{violating} of them violating, {invalid} invalid to the API server, "
          f"{len(mismatches)} mismatches, "
          f"{time.monotonic() - start:.1f} s (files in {workdir})")
    for m in mismatches[:40]:
        print("MISMATCH", m)
    ok = merge_keys_time(args.bulwark, args.kubectl, workdir)
    if mismatches:
        ok = False
    if seen != expected:
        print(f"FAIL: the API server answered for {seen} of {expected} pods")
        ok = False
    if invalid > expected // 20:
        print(f"FAIL: {invalid} pods were invalid to the API server; the generator is off")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
