#!/usr/bin/env python3
"""Differential test of Bulwark's fixes against the API server (docs/api.md, Fixes).

For each seed, seeded pods from the Pod Security differential's generator (scan_vs_psa.py: every
spelling Kubernetes reads), with fields left unset more often and some containers privileged or
adding SYS_ADMIN, are written as multi-document YAML files and JSON Lists. Then:
- `bulwark scan --level restricted --fix-out` writes fixed copies, and `-o patch` the patches;
- the API server judges each fixed pod (server dry run in a namespace enforcing restricted) and
  must agree with `bulwark scan` on the fixed copy;
- a fixed pod never has more findings than its original, and one whose every finding had a fix
  (`left` 0) is admitted;
- a fix never makes a valid pod invalid (the originals are validated in a namespace without Pod
  Security enforcement);
- the patch, applied here (RFC 6902 add, written anew below) to the original as kubectl decodes
  it, gives exactly what kubectl decodes from the fixed copy: the copy is the original plus the
  patch, field by field, whatever spellings the original used;
- Harden: the originals created (server dry run) in a namespace an Enforce + Harden policy's
  status.harden names come out of the API server's MutatingAdmissionPolicy bulwark-harden with
  exactly the securityContexts the patch gives (compliant ones untouched), and in such a
  namespace that also enforces restricted, each pod whose every finding had a fix is admitted.
  The policy's status is written here as the operator would (e2e.harden_test runs the operator).

usage: fix_vs_psa.py --bulwark BIN --kubectl KUBECTL [--seed N] [--seeds K] [--cases N]
The first seed is BULWARK_DIFF_SEED (or --seed); the others follow it.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scan_vs_psa import YamlWriter, json_value, random_pod, api_server_verdicts  # noqa: E402


def sparse_pod(rng, name):
    """A generator pod with security fields taken away, so that fixes have work to do."""
    pod = random_pod(rng, name)
    spec = pod["spec"]
    pod_sc = spec.get("securityContext", {})
    for key, p in (("seccompProfile", 0.5), ("runAsNonRoot", 0.4)):
        if key in pod_sc and rng.random() < p:
            del pod_sc[key]
    if rng.random() < 0.35:
        pod_sc["runAsUser"] = ("int", rng.choice([1000, 65534]))
    if pod_sc:
        spec["securityContext"] = pod_sc
    else:
        spec.pop("securityContext", None)
    first = spec["containers"][0]
    c_sc = first.get("securityContext")
    if c_sc is not None:
        for key, p in (("allowPrivilegeEscalation", 0.5), ("capabilities", 0.4),
                       ("runAsNonRoot", 0.3)):
            if key in c_sc and rng.random() < p:
                del c_sc[key]
        if rng.random() < 0.1:
            # SYS_ADMIN with allowPrivilegeEscalation left unset: a fix must not add false.
            c_sc.pop("allowPrivilegeEscalation", None)
            c_sc.setdefault("capabilities", {})["add"] = [
                ("str", rng.choice(["SYS_ADMIN", "CAP_SYS_ADMIN"]))]
        if not c_sc:
            del first["securityContext"]
    return pod


def write_cases(rng, workdir, cases, batch=100):
    files = []
    writer = YamlWriter(rng)
    n_json = cases // 5
    names = []
    for start in range(0, cases - n_json, batch):
        docs = []
        for i in range(start, min(start + batch, cases - n_json)):
            names.append(f"y{i:05d}")
            docs.append(writer.pod(sparse_pod(rng, names[-1])))
        path = f"in/pods-{start:05d}.yaml"
        with open(os.path.join(workdir, path), "w", encoding="utf-8", newline="") as f:
            f.write("---\n".join(docs))
        files.append(path)
    for start in range(0, n_json, batch):
        items = []
        for i in range(start, min(start + batch, n_json)):
            names.append(f"j{i:05d}")
            items.append(json_value(rng, sparse_pod(rng, names[-1])))
        path = f"in/pods-{start:05d}.json"
        with open(os.path.join(workdir, path), "w") as f:
            f.write('{"apiVersion":"v1","kind":"List","items":[' + ",\n".join(items) + "]}")
        files.append(path)
    return files, names


def run(cmd, cwd, ok=(0, 1)):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr[-2000:]}")
    return r.stdout


def scan_json(bulwark, workdir, folder):
    out = run([bulwark, "scan", "--level", "restricted", "-o", "json", folder], workdir)
    return {x["name"]: x for x in json.loads(out)["results"]}


def decoded(kubectl, workdir, path):
    """{pod name: the pod as kubectl decodes it} for one file (client dry run, no server)."""
    out = run([kubectl, "create", "--dry-run=client", "-o", "json", "-f", path], workdir, (0,))
    decoder, at, items = json.JSONDecoder(), 0, []
    while at < len(out):  # one object after another, or a List
        doc, at = decoder.raw_decode(out, at)
        items.extend(doc["items"] if doc.get("kind") == "List" else [doc])
        while at < len(out) and out[at].isspace():
            at += 1
    return {p["metadata"]["name"]: p for p in items}


def pointer_tokens(path):
    return [t.replace("~1", "/").replace("~0", "~") for t in path.split("/")[1:]]


def apply_add(doc, ops):
    """RFC 6902 "add", the only operation Bulwark's fixes use."""
    for op in ops:
        assert op["op"] == "add", op
        tokens = pointer_tokens(op["path"])
        cur = doc
        for t in tokens[:-1]:
            cur = cur[int(t)] if isinstance(cur, list) else cur[t]
        last = tokens[-1]
        if isinstance(cur, list):
            if last == "-":
                cur.append(op["value"])
            else:
                cur.insert(int(last), op["value"])
        else:
            cur[last] = op["value"]
    return doc


def patches_by_name(bulwark, workdir):
    """{pod name: the patch line}, the List prefix taken off each path."""
    out = run([bulwark, "scan", "--level", "restricted", "-o", "patch", "in"], workdir)
    found = {}
    for line in out.splitlines():
        p = json.loads(line)
        for op in p["patch"]:
            if op["path"].startswith("/items/"):
                op["path"] = "/" + op["path"].split("/", 3)[3]
        found[p["name"]] = p
    return found


HARDEN_POLICY = "bulwark-fix-diff-harden"
FIXABLE = ["allowPrivilegeEscalation", "capabilities_restricted", "runAsNonRoot",
           "seccompProfile_restricted"]


def wait_for_harden(kubectl, namespace, deadline_s=60):
    """bulwark-harden acts once the API server has loaded it and its parameter: a probe pod (server
    dry run) until it comes back hardened."""
    probe = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "harden-probe"},
             "spec": {"containers": [{"name": "a", "image": "registry.example/app:1"}]}}
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        r = subprocess.run([kubectl, "create", "--dry-run=server", "-n", namespace, "-f", "-",
                            "-o", "json"], input=json.dumps(probe), capture_output=True, text=True)
        if r.returncode == 0 and json.loads(r.stdout)["spec"]["containers"][0].get(
                "securityContext"):
            return True
        time.sleep(0.5)
    return False


def harden_policy(kubectl, namespaces):
    """An Enforce + Harden SecurityPolicy whose status.harden names `namespaces` with every fixable
    control, written here as the operator would (e2e.harden_test runs the operator itself)."""
    manifest = {"apiVersion": "bulwark.dev/v1alpha1", "kind": "SecurityPolicy",
                "metadata": {"name": HARDEN_POLICY},
                "spec": {"podSecurity": {"level": "restricted"},
                         "enforcement": {"mode": "Enforce", "actions": ["Harden"]}}}
    subprocess.run([kubectl, "apply", "-f", "-"], input=json.dumps(manifest), text=True,
                   check=True, capture_output=True)
    gen = subprocess.run([kubectl, "get", "securitypolicy", HARDEN_POLICY, "-o",
                          "jsonpath={.metadata.generation}"], check=True, capture_output=True,
                         text=True).stdout
    status = {"status": {"harden": {"observedGeneration": int(gen),
                                    "namespaces": {ns: FIXABLE for ns in namespaces}}}}
    subprocess.run([kubectl, "patch", "securitypolicy", HARDEN_POLICY, "--subresource=status",
                    "--type", "merge", "-p", json.dumps(status)], check=True, capture_output=True)


def created(kubectl, namespace, path):
    """{pod name: the pod the API server would store, mutations applied} (server dry run)."""
    r = subprocess.run([kubectl, "create", "--dry-run=server", "-n", namespace, "-f", path, "-o",
                        "json"], capture_output=True, text=True)
    decoder, at, items = json.JSONDecoder(), 0, []
    out = r.stdout
    while at < len(out):
        while at < len(out) and out[at].isspace():
            at += 1
        if at == len(out):
            break
        doc, at = decoder.raw_decode(out, at)
        items.extend(doc["items"] if doc.get("kind") == "List" else [doc])
    return {p["metadata"]["name"]: p for p in items}


def contexts(pod):
    """What fixes may change: the pod's and every container's securityContext, as JSON."""
    spec = pod["spec"]
    return {"pod": spec.get("securityContext") or {},
            **{f"{lst}/{c['name']}": c.get("securityContext")
               for lst in ("initContainers", "containers") for c in spec.get(lst, [])}}


def hardened_mismatches(name, patch, expected, mutated, admitted_restricted):
    """Harden's pod against the scan's patch: the same securityContexts, field by field."""
    out = []
    if mutated is None:
        return [f"{name}: not created under Harden (a privileged namespace)"]
    if contexts(mutated) != contexts(expected):
        out.append(f"{name}: Harden made {json.dumps(contexts(mutated))}, the patch says "
                   f"{json.dumps(contexts(expected))}")
    if patch and patch["left"] == 0 and not admitted_restricted:
        out.append(f"{name}: every finding had a fix, yet restricted refused it under Harden")
    return out


def one_seed(args, seed, workdir, namespaces):
    rng = random.Random(seed)
    os.makedirs(os.path.join(workdir, "in"), exist_ok=True)
    files, names = write_cases(rng, workdir, args.cases)
    run([args.bulwark, "scan", "--level", "restricted", "--fix-out", "fixed", "in", "-o", "json"],
        workdir)
    patches = patches_by_name(args.bulwark, workdir)
    before = scan_json(args.bulwark, workdir, "in")
    after = scan_json(args.bulwark, workdir, "fixed")
    fixed_files = [os.path.join(workdir, "fixed", f) for f in files]
    originals = [os.path.join(workdir, f) for f in files]
    with ThreadPoolExecutor(max_workers=4) as pool:
        server = list(pool.map(lambda f: api_server_verdicts(args.kubectl, namespaces[1], f),
                               fixed_files))
        valid = list(pool.map(lambda f: api_server_verdicts(args.kubectl, namespaces[0], f),
                              originals))
        kubectl_in = list(pool.map(lambda f: decoded(args.kubectl, workdir, f), files))
        kubectl_fixed = list(pool.map(lambda f: decoded(args.kubectl, workdir, "fixed/" + f),
                                      files))
        hardened = list(pool.map(lambda f: created(args.kubectl, namespaces[2], f), originals))
        hardened_restricted = list(pool.map(lambda f: created(args.kubectl, namespaces[3], f),
                                            originals))
    harden = {k: v for d in hardened for k, v in d.items()}
    harden_admitted = {k for d in hardened_restricted for k in d}
    theirs = {k: v for d in server for k, v in d.items()}
    was_valid = {k: not v.startswith("invalid") for d in valid for k, v in d.items()}
    decoded_in = {k: v for d in kubectl_in for k, v in d.items()}
    decoded_fixed = {k: v for d in kubectl_fixed for k, v in d.items()}
    stats = {"pods": len(names), "patched": len(patches), "compared": 0, "admitted_whole": 0,
             "invalid": 0, "hardened": 0}
    mismatches = []
    for name in names:
        patch = patches.get(name)
        expected = apply_add(json.loads(json.dumps(decoded_in[name])), patch["patch"] if patch
                             else [])
        if expected != decoded_fixed.get(name):
            mismatches.append(f"{name}: the fixed copy is not the original plus its patch: "
                              f"{json.dumps(expected)} vs {json.dumps(decoded_fixed.get(name))}")
        if was_valid.get(name):
            mismatches += hardened_mismatches(name, patch, expected, harden.get(name),
                                              name in harden_admitted)
            stats["hardened"] += bool(patch)
        verdict = theirs.get(name)
        if verdict is None:
            mismatches.append(f"{name}: the API server did not answer for it")
            continue
        if verdict.startswith("invalid"):
            stats["invalid"] += 1
            if was_valid.get(name):
                mismatches.append(f"{name}: valid before its fix, invalid after: {verdict}")
            continue
        stats["compared"] += 1
        mine = after[name]["posture"]
        if mine != verdict:
            mismatches.append(f"{name}: fixed, the API server says {verdict}, bulwark {mine}")
        if len(after[name]["violations"]) > len(before[name]["violations"]):
            mismatches.append(f"{name}: more findings after its fix")
        if patch and patch["left"] == 0:
            stats["admitted_whole"] += verdict == "compliant"
            if verdict != "compliant":
                mismatches.append(f"{name}: every finding had a fix, yet the API server says "
                                  f"{verdict}")
    return stats, mismatches


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bulwark", required=True)
    ap.add_argument("--kubectl", required=True)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("BULWARK_DIFF_SEED", "20261207")))
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--cases", type=int, default=500)
    ap.add_argument("--workdir")
    args = ap.parse_args()
    args.bulwark = os.path.abspath(args.bulwark)
    workdir = args.workdir or tempfile.mkdtemp(prefix="bulwark-fix-diff-")
    # Plain, judged by Pod Security alone; then the same two under Harden.
    namespaces = ("bulwark-fix-privileged", "bulwark-fix-restricted", "bulwark-fix-harden",
                  "bulwark-fix-harden-restricted")
    for ns, level in zip(namespaces, ("privileged", "restricted", "privileged", "restricted")):
        subprocess.run([args.kubectl, "create", "namespace", ns], capture_output=True)
        subprocess.run([args.kubectl, "label", "--overwrite", "namespace", ns,
                        f"pod-security.kubernetes.io/enforce={level}",
                        "pod-security.kubernetes.io/enforce-version=latest"],
                       check=True, capture_output=True)
    harden_policy(args.kubectl, namespaces[2:])
    if not wait_for_harden(args.kubectl, namespaces[2]):
        print("FAIL: bulwark-harden did not harden a probe pod within 60 s")
        return 1
    ok = True
    for seed in range(args.seed, args.seed + args.seeds):
        start = time.monotonic()
        seed_dir = os.path.join(workdir, f"seed-{seed}")
        stats, mismatches = one_seed(args, seed, seed_dir, namespaces)
        print(f"seed {seed}: {stats['pods']} pods, {stats['patched']} patched, "
              f"{stats['compared']} fixed pods judged by the API server, "
              f"{stats['admitted_whole']} of them fully fixed and admitted, "
              f"{stats['invalid']} invalid (before and after), {stats['hardened']} mutated by "
              f"Harden as their patch says, {len(mismatches)} mismatches, "
              f"{time.monotonic() - start:.1f} s (files in {seed_dir})")
        for m in mismatches[:20]:
            print("MISMATCH", m[:1500])
        if mismatches:
            ok = False
        if stats["invalid"] > stats["pods"] // 10:
            print(f"FAIL: {stats['invalid']} pods invalid to the API server; the generator is off")
            ok = False
        if stats["admitted_whole"] < stats["pods"] // 10:
            print("FAIL: too few pods fully fixed for the test to say much; the generator is off")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
