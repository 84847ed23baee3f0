#!/usr/bin/env python3
"""What a kind of object costs etcd, read from etcd itself (benchmarks, not tests).

  etcd_usage.py PORT PREFIX [--compact]

PORT is the test cluster's etcd client port on loopback (plain HTTP, its gRPC gateway); PREFIX a
key prefix such as /registry/openreports.io/reports/. Prints one line: the keys under PREFIX, the
bytes of their keys and values as etcd stores them (the API server's encoding: JSON for custom
resources), and etcd_mvcc_db_total_size_in_use_in_bytes. With --compact, etcd's history is first
compacted to its current revision (what the API server does every 5 minutes), so that the size in
use counts the objects as they are, not their earlier versions.
"""
import base64
import json
import sys
import time
import urllib.request


def call(port, path, body):
    request = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        return json.load(answer)


def b64(text):
    return base64.b64encode(text.encode()).decode()


def prefix_end(prefix):
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def keys_and_bytes(port, prefix):
    """Pages of 1,000 keys, from the first key after the last one read."""
    count, size, start = 0, 0, prefix
    while True:
        page = call(port, "/v3/kv/range", {"key": b64(start), "range_end": b64(prefix_end(prefix)),
                                           "limit": 1000})
        kvs = page.get("kvs", [])
        for kv in kvs:
            count += 1
            size += len(base64.b64decode(kv["key"])) + len(base64.b64decode(kv.get("value", "")))
        if not page.get("more"):
            return count, size
        start = base64.b64decode(kvs[-1]["key"]).decode() + "\0"


def in_use(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=30) as answer:
        for line in answer.read().decode().splitlines():
            if line.startswith("etcd_mvcc_db_total_size_in_use_in_bytes "):
                return float(line.split()[1])
    raise SystemExit("etcd has no etcd_mvcc_db_total_size_in_use_in_bytes")


def settled_in_use(port):
    """The size in use once it holds for half a second (etcd commits its backend every 100 ms, so
    a compaction's freed pages show a commit later), within 30 s."""
    deadline, last, since = time.time() + 30, in_use(port), time.time()
    while time.time() < deadline:
        time.sleep(0.1)
        now = in_use(port)
        if now != last:
            last, since = now, time.time()
        elif time.time() - since >= 0.5:
            break
    return last


def main():
    port, prefix = int(sys.argv[1]), sys.argv[2]
    if "--compact" in sys.argv[3:]:
        revision = int(call(port, "/v3/kv/range", {"key": b64("/"), "count_only": True})["header"]["revision"])
        call(port, "/v3/kv/compaction", {"revision": revision, "physical": True})
    count, size = keys_and_bytes(port, prefix)
    print("etcd: %d keys under %s, %.2f MiB (%d bytes a key); etcd's database in use %.1f MiB" %
          (count, prefix, size / 1048576, size // count if count else 0, settled_in_use(port) / 1048576))


if __name__ == "__main__":
    main()
