#!/usr/bin/env python3
"""What a fault cost, from the cluster's own objects (kubectl get -A -o json output).

usage: count_damage.py DEPLOYMENTS_JSON PODS_JSON EVENTS_JSON
In namespaces fr and fs, Deployments whose name starts with "bad-" run a privileged container and
must be annotated violating, "good-" ones compliant. In fr (Quarantine) the bad ones' pods must be
labelled bulwark.dev/quarantine=true and the good ones' not. In fs (ScaleToZero, two replicas
each) the bad ones must be at zero replicas with bulwark.dev/recorded-replicas "2" (a scale done
twice records 0 and loses the count), the good ones at two with nothing recorded. Every Event
Bulwark recorded must be recorded once per object and reason. Prints "lost_annotations
lost_quarantines lost_replica_counts twice_events", then one line per damaged object.
"""
import collections
import json
import sys

NAMESPACES = ("fr", "fs")


def items(path):
    with open(path, encoding="utf-8") as f:
        return [o for o in json.load(f)["items"] if o["metadata"].get("namespace") in NAMESPACES]


def is_bad(name):
    return name.startswith("bad-")


def lost_annotations(deployments, details):
    lost = 0
    for d in deployments:
        meta = d["metadata"]
        want = "violating" if is_bad(meta["name"]) else "compliant"
        have = meta.get("annotations", {}).get("bulwark.dev/posture")
        if have != want:
            lost += 1
            details.append("annotation %s/%s: %s, want %s" % (meta["namespace"], meta["name"], have, want))
    return lost


def lost_replica_counts(deployments, details):
    lost = 0
    for d in deployments:
        meta = d["metadata"]
        if meta["namespace"] != "fs":
            continue
        want = (0, "2") if is_bad(meta["name"]) else (2, None)
        have = (d["spec"].get("replicas"), meta.get("annotations", {}).get("bulwark.dev/recorded-replicas"))
        if have != want:
            lost += 1
            details.append("replicas fs/%s: %s recorded %s, want %s recorded %s" % ((meta["name"],) + have + want))
    return lost


def lost_quarantines(pods, details):
    lost = 0
    for p in pods:
        meta = p["metadata"]
        if meta["namespace"] != "fr" or meta.get("deletionTimestamp"):
            continue
        label = meta.get("labels", {}).get("bulwark.dev/quarantine")
        want = "true" if is_bad(meta.get("labels", {}).get("app", "")) else None
        if label != want:
            lost += 1
            details.append("quarantine fr/%s: %s, want %s" % (meta["name"], label, want))
    return lost


def twice_events(events, details):
    # Past 100 a minute a namespace's Events are folded into one a minute about the Namespace
    # (docs/api.md, Events): those tell no object's change, and several are no repeat.
    seen = collections.Counter(
        (e["involvedObject"].get("uid", ""), e.get("reason", "")) for e in events
        if (e.get("reportingComponent") == "bulwark" or e.get("source", {}).get("component") == "bulwark")
        and e["involvedObject"].get("kind") != "Namespace")
    for (uid, reason), n in seen.items():
        if n > 1:
            details.append("event %s on %s recorded %d times" % (reason, uid, n))
    return sum(n - 1 for n in seen.values() if n > 1)


def main():
    deployments, pods, events = (items(p) for p in sys.argv[1:4])
    details = []
    counts = (lost_annotations(deployments, details), lost_quarantines(pods, details),
              lost_replica_counts(deployments, details), twice_events(events, details))
    print(*counts)
    for line in details[:20]:
        print(line)


if __name__ == "__main__":
    main()
