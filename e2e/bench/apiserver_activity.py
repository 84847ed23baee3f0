#!/usr/bin/env python3
"""What the API server did between two snapshots of its /metrics, and who wrote in that time.

usage: apiserver_activity.py BEFORE_METRICS AFTER_METRICS AUDIT_LOG SINCE UNTIL
Prints the requests it answered by verb and resource (the busiest eight), the watchers it closed
for being too slow to read (apiserver_terminated_watchers_total), and the writes in the audit log
between SINCE and UNTIL (RFC 3339) by user agent (its first word), so a benchmark can tell whose
work the two cores did: a client's relists, or another component's writes (issue 21: at 50,000
pods KWOK used ten times the CPU in the operator's pass that it used in the write floor).
"""
import collections
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "faults"))
from audit_writes import events, parse_time  # noqa: E402  (the one reader of the audit log)

SAMPLE = re.compile(r'^(\w+)\{([^}]*)\} (\S+)$')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def samples(path, name):
    """{labels tuple: value} of every sample of counter NAME in a /metrics text."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = SAMPLE.match(line.strip())
            if m and m.group(1) == name:
                out[tuple(sorted(LABEL.findall(m.group(2))))] = float(m.group(3))
    return out


def grown(before_path, after_path, name, keys):
    """NAME's growth between the snapshots, summed by the label KEYS."""
    before, after = samples(before_path, name), samples(after_path, name)
    sums = collections.Counter()
    for labels, value in after.items():
        by = dict(labels)
        sums[tuple(by.get(k, "") for k in keys)] += value - before.get(labels, 0.0)
    return sums


def writes_by_agent(audit_log, since, until):
    agents = collections.Counter()
    for event in events(audit_log, since):
        if parse_time(event["requestReceivedTimestamp"]) <= until:
            agents[(event.get("userAgent", "") or "?").split()[0].split("/")[0]] += 1
    return agents


def main():
    before, after, audit_log = sys.argv[1:4]
    since, until = parse_time(sys.argv[4]), parse_time(sys.argv[5])
    requests = grown(before, after, "apiserver_request_total", ("verb", "resource"))
    busiest = ", ".join("%s %s %d" % (verb, resource or "-", n)
                        for (verb, resource), n in requests.most_common(8) if n > 0)
    print("    requests answered: %s" % (busiest or "none"))
    closed = grown(before, after, "apiserver_terminated_watchers_total", ("resource",))
    slow = ", ".join("%s %d" % (r[0], n) for r, n in closed.most_common() if n > 0)
    print("    watchers closed as too slow: %s" % (slow or "none"))
    agents = writes_by_agent(audit_log, since, until)
    print("    writes by user agent: %s" % (
        ", ".join("%s %d" % a for a in agents.most_common(6)) or "none"))


if __name__ == "__main__":
    main()
