#!/usr/bin/env python3
"""Races `bulwark scan` against the Kyverno CLI and kube-score on one corpus, side by side.

usage: e2e/bench/scan_race.py BULWARK_BINARY [--rounds 6] [--deployments 10000] [--files 100]

Builds the peers once (e2e/bench/scan_peers.sh: Kyverno CLI v1.19.1, kube-score v1.20.0, from the
Go module proxy, cached under ~/.cache/bulwark/peers), writes the corpus (scan_corpus.py: 10,000
Deployments of about 76 lines, two containers, a quarter violating restricted, in 100 files; and
the same manifests as JSON), checks that Bulwark and Kyverno give every Deployment the same verdict
at Pod Security v1.30 (a version both know), then times each tool in alternation for several
rounds, printing medians, peak memory and the medians of the per-round ratios.

Kyverno: `kyverno apply` of a ClusterPolicy validate.podSecurity restricted v1.30 (autogen makes
its rule for Deployments), --policy-report --output-format json. kube-score: `kube-score score
-o json` of every file (its own checks; timed as the other complete scanner teams run in CI).
Bulwark: `bulwark scan --level restricted --pss-version v1.30 -o json`, with the default -j (the
cores this process may use) and with -j 1. Not a test: nothing else should run on the machine."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PSS_VERSION = "v1.30"
KYVERNO_POLICY = """apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: pod-security-restricted
spec:
  background: true
  rules:
  - name: restricted
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      failureAction: Audit
      podSecurity:
        level: restricted
        version: %s
""" % PSS_VERSION


def timed(cmd, stdout_path):
    """Runs cmd with /usr/bin/time; returns (seconds, peak MiB, exit status)."""
    with open(stdout_path, "wb") as out, tempfile.NamedTemporaryFile("r") as t:
        status = subprocess.call(["/usr/bin/time", "-o", t.name, "-f", "%e %M"] + cmd,
                                 stdout=out, stderr=subprocess.DEVNULL)
        seconds, kib = t.read().split()[-2:]
    return float(seconds), int(kib) / 1024.0, status


def bulwark_failing(report_path):
    with open(report_path) as f:
        report = json.load(f)
    return {(r["namespace"], r["name"]) for r in report["results"] if r["posture"] == "violating"}


def kyverno_failing(report_path):
    # A deprecation warning comes first on standard output; the report is the last line.
    with open(report_path) as f:
        report = json.loads(f.read().strip().splitlines()[-1])
    failing, seen = set(), set()
    for r in report["results"]:
        for res in r["resources"]:
            key = (res.get("namespace", ""), res["name"])
            seen.add(key)
            if r["result"] != "pass":
                failing.add(key)
    return failing, seen


def tools(a, peers, corpus, files):
    scan = [a.bulwark, "scan", "--level", "restricted", "--pss-version", PSS_VERSION, "-o", "json"]
    return [
        ("bulwark", scan + [corpus]),
        ("bulwark -j 1", scan + ["-j", "1", corpus]),
        ("kyverno", [os.path.join(peers, "kyverno"), "apply", a.policy, "--resource", corpus,
                     "--policy-report", "--output-format", "json"]),
        ("kube-score", [os.path.join(peers, "kube-score"), "score", "-o", "json"] + files),
    ]


def check_verdicts(a, work, commands):
    timed(commands["bulwark"], os.path.join(work, "bulwark.json"))
    timed(commands["kyverno"], os.path.join(work, "kyverno.json"))
    ours = bulwark_failing(os.path.join(work, "bulwark.json"))
    theirs, seen = kyverno_failing(os.path.join(work, "kyverno.json"))
    agree = len(seen) == a.deployments and ours == theirs
    print("verdicts: Bulwark %d violating, Kyverno %d of %d judged; %s" %
          (len(ours), len(theirs), len(seen), "agree on every Deployment" if agree else
           "DISAGREE on %d" % len(ours ^ theirs)))
    return agree


def race(a, work, order, commands):
    times = {name: [] for name in order}
    peaks = {name: 0.0 for name in order}
    for r in range(a.rounds):
        # Alternate the order each round so no tool always runs after the same one.
        for name in (order if r % 2 == 0 else list(reversed(order))):
            seconds, mib, status = timed(commands[name], os.path.join(work, "out"))
            if status not in (0, 1):
                sys.exit("%s exited %d" % (name, status))
            times[name].append(seconds)
            peaks[name] = max(peaks[name], mib)
    return times, peaks


def report(title, times, peaks, base):
    print("\n%s (%d rounds, medians):" % (title, len(times[base])))
    for name in times:
        ratios = [t / b for t, b in zip(times[name], times[base])]
        print("  %-14s %7.2f s  peak %7.1f MiB  %5.2fx %s (%.2f to %.2f)" % (
            name, statistics.median(times[name]), peaks[name], statistics.median(ratios), base,
            min(ratios), max(ratios)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bulwark")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--deployments", type=int, default=10000)
    ap.add_argument("--files", type=int, default=100)
    a = ap.parse_args()
    peers = subprocess.check_output([os.path.join(HERE, "scan_peers.sh")], text=True).strip()
    with tempfile.TemporaryDirectory(prefix="bulwark-race-") as work:
        corpus, corpus_json = os.path.join(work, "yaml"), os.path.join(work, "json")
        for folder, extra in ((corpus, []), (corpus_json, ["--json"])):
            subprocess.check_call([sys.executable, os.path.join(HERE, "scan_corpus.py"), folder,
                                   "--deployments", str(a.deployments), "--files",
                                   str(a.files)] + extra)
        a.policy = os.path.join(work, "kyverno-policy.yaml")
        with open(a.policy, "w") as f:
            f.write(KYVERNO_POLICY)
        files = sorted(os.path.join(corpus, n) for n in os.listdir(corpus))
        named = tools(a, peers, corpus, files)
        commands = dict(named)
        print("corpus: %d Deployments in %d files (%.1f MiB of YAML); %d cores available" % (
            a.deployments, a.files, sum(os.path.getsize(p) for p in files) / 2**20,
            len(os.sched_getaffinity(0))))
        agree = check_verdicts(a, work, commands)
        order = [name for name, _ in named]
        times, peaks = race(a, work, order, commands)
        report("YAML", times, peaks, "bulwark")
        scan = commands["bulwark"][:-1]
        json_commands = {"bulwark json": scan + [corpus_json],
                         "bulwark json -j 1": scan + ["-j", "1", corpus_json]}
        jtimes, jpeaks = race(a, work, list(json_commands), json_commands)
        report("The same manifests as JSON", jtimes, jpeaks, "bulwark json")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
