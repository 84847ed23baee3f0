#!/usr/bin/env python3
"""Prints what a scripts/test.sh run did: each stage with its wall time, the slowest ten tests, and
the counts that show nothing was dropped (tests run per ctest stage against the tests the release
build lists, ASan unit tests against the release run's, fuzz targets).

usage: test_summary.py RECORD_DIR
RECORD_DIR holds start (the run's start, in seconds since the epoch), stages.tsv (name, seconds,
exit status and, for a stage run beside the others, "beside"; one line a stage), NAME.xml
(ctest's JUnit output of each test stage), listed.txt (`ctest -N` of the release build) and
fuzz.txt (the fuzz script's last line).
"""
import os
import re
import sys
import time
import xml.etree.ElementTree as ET


def minutes(seconds):
    return "%d:%02d" % (seconds // 60, seconds % 60)


def read_stages(record):
    path = os.path.join(record, "stages.tsv")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    return [(row + [""] * 4)[:4] for row in rows]


def read_junit(record):
    """{stage file name: [(test, seconds, status)]} from each NAME.xml."""
    runs = {}
    for name in sorted(os.listdir(record)):
        if not name.endswith(".xml"):
            continue
        try:
            root = ET.parse(os.path.join(record, name)).getroot()
        except ET.ParseError:
            continue
        cases = []
        for case in root.iter("testcase"):
            status = case.get("status") or "run"
            if case.find("failure") is not None:
                status = "failed"
            elif case.find("skipped") is not None:
                status = "skipped"
            cases.append((case.get("name"), float(case.get("time") or 0), status))
        runs[name[:-4]] = cases
    return runs


def print_stages(record, stages):
    print("\nStages (wall time):")
    for name, seconds, status, kind in stages:
        mark = "" if status == "0" else "   FAILED (exit %s)" % status
        if kind == "beside":
            name = "  " + name + " (beside the tests)"
        print("  %-42s %7s%s" % (name, minutes(int(seconds)), mark))
    start = os.path.join(record, "start")
    if os.path.exists(start):
        with open(start) as f:
            wall = int(time.time()) - int(f.read().strip())
        print("  %-42s %7s" % ("whole run", minutes(wall)))


def print_slowest(runs):
    cases = [(secs, stage, test) for stage, tests in runs.items() for test, secs, _ in tests]
    if not cases:
        return
    print("\nSlowest ten tests:")
    for secs, stage, test in sorted(cases, reverse=True)[:10]:
        print("  %7.1f s  %-42s (%s)" % (secs, test, stage))


def listed_count(record):
    path = os.path.join(record, "listed.txt")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        match = re.search(r"Total Tests:\s*(\d+)", f.read())
    return int(match.group(1)) if match else None


def print_counts(record, runs, complete):
    """Prints the counts; returns False when a count shows a test dropped. A run that stopped at a
    failed stage has partial counts, which are printed and not judged."""
    ok = True
    release = {k: v for k, v in runs.items() if k != "asan"}
    ran = sum(len(v) for v in release.values())
    listed = listed_count(record)
    parts = ", ".join("%s %d" % (k, len(v)) for k, v in release.items())
    print("\nCounts:")
    if release:
        print("  ctest (release build): %d run (%s) of %s listed" % (ran, parts, listed))
        if not complete:
            print("  (partial: the run stopped at a failed stage)")
        elif listed is not None and ran != listed:
            print("  DROPPED: the stages ran %d tests of the %d the build lists" % (ran, listed))
            ok = False
    for stage, tests in runs.items():
        bad = [t for t, _, s in tests if s in ("failed", "notrun")]
        if bad:
            print("  %s: %d failed or not run: %s" % (stage, len(bad), ", ".join(bad[:10])))
    if "asan" in runs:
        unit = len(runs.get("unit", []))
        asan = len(runs["asan"])
        print("  ASan unit tests: %d run (release build: %d)" % (asan, unit))
        if complete and asan != unit:
            print("  DROPPED: ASan ran %d unit tests, the release build %d" % (asan, unit))
            ok = False
    fuzz = os.path.join(record, "fuzz.txt")
    if os.path.exists(fuzz):
        with open(fuzz) as f:
            print("  " + f.read().strip())
    return ok


def main():
    record = sys.argv[1]
    stages = read_stages(record)
    runs = read_junit(record)
    print_stages(record, stages)
    print_slowest(runs)
    complete = bool(stages) and all(status == "0" for _, _, status, _ in stages)
    return 0 if print_counts(record, runs, complete) else 1


if __name__ == "__main__":
    sys.exit(main())
