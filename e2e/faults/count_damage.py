#!/usr/bin/env python3
"""What a fault cost, from the cluster's own objects (kubectl get -o json output).

usage: count_damage.py DEPLOYMENTS_JSON PODS_JSON EVENTS_JSON
Deployments whose name starts with "bad-" run a privileged container and must be annotated
violating, their pods labelled bulwark.dev/quarantine=true; "good-" ones must be annotated
compliant and their pods unlabelled. Prints "lost_annotations lost_quarantines twice_events", then
one line per damaged object.
"""
import collections
import json
import sys


def items(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)["items"]


def main():
    deployments, pods, events = (items(p) for p in sys.argv[1:4])
    lost_annotations, lost_quarantines, details = 0, 0, []
    for d in deployments:
        name = d["metadata"]["name"]
        want = "violating" if name.startswith("bad-") else "compliant"
        have = d["metadata"].get("annotations", {}).get("bulwark.dev/posture")
        if have != want:
            lost_annotations += 1
            details.append("annotation %s: %s, want %s" % (name, have, want))
    for p in pods:
        owner = p["metadata"].get("labels", {}).get("app", "")
        label = p["metadata"].get("labels", {}).get("bulwark.dev/quarantine")
        if p["metadata"].get("deletionTimestamp"):
            continue
        want = "true" if owner.startswith("bad-") else None
        if label != want:
            lost_quarantines += 1
            details.append("quarantine %s: %s, want %s" % (p["metadata"]["name"], label, want))
    seen = collections.Counter(
        (e["involvedObject"].get("uid", ""), e.get("reason", "")) for e in events
        if e.get("reportingComponent") == "bulwark" or e.get("source", {}).get("component") == "bulwark")
    twice = sum(n - 1 for n in seen.values() if n > 1)
    for (uid, reason), n in seen.items():
        if n > 1:
            details.append("event %s on %s recorded %d times" % (reason, uid, n))
    print(lost_annotations, lost_quarantines, twice)
    for line in details[:20]:
        print(line)


if __name__ == "__main__":
    main()
