#!/usr/bin/env python3
"""Counts the writes in a kube-apiserver audit log (JSON lines) sent by one user agent.

usage: audit_writes.py AUDIT_LOG USER_AGENT_SUBSTRING [SINCE_RFC3339]
Prints the count, then one line per write (time, verb, resource, namespace/name, code), so a
failing test shows what was written. SINCE bounds requestReceivedTimestamp (inclusive).
Access and token reviews are not counted: they are questions sent as a create and stored nowhere,
and every replica asks them (InputAccess, every 10 s: a frozen leader resumed past a tick asks at
once, which made e2e.faults.frozen_leader fail now and then).
"""
import datetime
import glob
import json
import os
import sys


QUESTIONS = {"selfsubjectaccessreviews", "selfsubjectrulesreviews", "subjectaccessreviews",
             "localsubjectaccessreviews", "tokenreviews", "selfsubjectreviews"}


def parse_time(text):
    # "2026-11-28T20:50:01.123456Z": Python before 3.11 does not read the Z.
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def files(log):
    """LOG and, oldest first before it, the files the API server rotated it into at 100 MB
    (NAME-TIMESTAMP.EXT beside it): a benchmark at 50,000 pods writes several."""
    base, ext = os.path.splitext(log)
    return sorted(glob.glob(glob.escape(base) + "-*" + ext)) + [log]


def events(log, since=None):
    """The audit events of LOG (JSON lines) received at or after SINCE (a datetime), in order."""
    for path in files(log):
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue  # a line being written as we read
                if since is None or parse_time(event["requestReceivedTimestamp"]) >= since:
                    yield event


def main():
    log, agent = sys.argv[1], sys.argv[2]
    since = parse_time(sys.argv[3]) if len(sys.argv) > 3 else None
    writes = []
    for event in events(log, since):
        if agent not in event.get("userAgent", ""):
            continue
        ref = event.get("objectRef", {})
        if ref.get("resource", "") in QUESTIONS:
            continue
        writes.append("%s %s %s %s/%s %s" % (
            event["requestReceivedTimestamp"], event["verb"], ref.get("resource", ""),
            ref.get("namespace", ""), ref.get("name", ""),
            event.get("responseStatus", {}).get("code", "")))
    print(len(writes))
    for w in writes:
        print(w)


if __name__ == "__main__":
    main()
