#!/usr/bin/env python3
"""e2e.netpol_validation: `bulwark scan` refuses (exit 2) exactly the NetworkPolicies the API server
refuses. A seeded generator takes valid policies (netpol_gen.py) and gives most of them one risky
value: CIDRs and excepts in every spelling Go's parser meets, ports and port names at their limits,
endPort, protocols, peers of several kinds, selectors and label syntax, policyTypes, unknown fields
and JSON types. Each is one file; the API server judges it with `kubectl create --dry-run=server`
(strict field validation, kubectl's default) and scan with a policy forbidding a network control.

  usage: netpol_validation.py --bulwark B --kubectl K --workdir D [--seed N] [--cases N]
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netpol_gen import network_policy  # noqa: E402

CIDRS = ["198.18.0.0/33", "198.18.0.0", "198.18.0.5/16", "198.018.0.0/16", "0198.18.0.0/16",
         "198.18.0.0/016", "198.18.0.0/+16", " 198.18.0.0/16", "198.18.0.0/16 ", "198.18.0.0/-1",
         "198.18.0.0/1a", "", "256.0.0.0/8", "203.0.113.7/32", "::ffff:198.18.0.0/112",
         "::ffff:198.18.0.0/95", "2001:db8::/129", "2001:db8::/32", "2001:db8::1/64",
         "2001:DB8::/32", "::/0", "0.0.0.0/0", "198.18.0.0/15", "198.18.0.0/0x10"]
EXCEPTS = [("198.18.0.0/16", "198.18.0.0/16"), ("198.18.0.0/16", "198.18.1.0/24"),
           ("198.18.0.0/16", "203.0.113.0/24"), ("198.18.0.0/16", "198.18.1.0/33"),
           ("0.0.0.0/0", "::/0"), ("::/0", "198.18.0.0/16"), ("198.18.0.0/16", "198.18.1.5/24"),
           ("198.18.0.0/16", "::ffff:198.18.1.0/120"), ("::/0", "2001:db8::/32"),
           ("198.18.0.0/16", "198.17.0.0/16"), ("198.18.0.0/16", "198.18.0.0/15"),
           ("198.18.0.0/16", "")]
PORTS = [{"port": 0}, {"port": 65536}, {"port": -1}, {"port": 65535}, {"port": 1},
         {"port": "HTTP"}, {"port": "a--b"}, {"port": "-ab"}, {"port": "ab-"},
         {"port": "abcdefghijklmnop"}, {"port": "abcdefghijklmno"}, {"port": "123"},
         {"port": "a1"}, {"port": "1a"}, {"port": ""}, {"port": "8080"}, {"port": "h_t"},
         {"port": 8080, "endPort": 8079}, {"port": "http", "endPort": 9000}, {"endPort": 9000},
         {"port": 8080, "endPort": 65536}, {"port": 8080, "endPort": 8080},
         {"port": 8080, "endPort": 0}, {"protocol": "ICMP"}, {"protocol": "tcp"},
         {"protocol": ""}, {"port": 80, "protocol": "SCTP"}, {"port": 80.0}, {"port": 80.5},
         {"port": True}, {"port": None}, {"port": "80", "endPort": 90}]
PEERS = [{}, {"ipBlock": {"cidr": "198.18.0.0/16"}, "podSelector": {}},
         {"ipBlock": {"cidr": "198.18.0.0/16"}, "namespaceSelector": {}},
         {"podSelector": {}, "namespaceSelector": {}}, {"ipBlock": {}},
         {"ipBlock": {"cidr": "198.18.0.0/16", "except": []}}, {"podSelector": None}]
SELECTORS = [{"matchExpressions": [{"key": "app", "operator": "In"}]},
             {"matchExpressions": [{"key": "app", "operator": "In", "values": []}]},
             {"matchExpressions": [{"key": "app", "operator": "Exists", "values": ["a"]}]},
             {"matchExpressions": [{"key": "app", "operator": "DoesNotExist", "values": []}]},
             {"matchExpressions": [{"key": "app", "operator": "Foo", "values": ["a"]}]},
             {"matchExpressions": [{"key": "app", "operator": "in", "values": ["a"]}]},
             {"matchExpressions": [{"key": "bad key", "operator": "Exists"}]},
             {"matchExpressions": [{"key": "", "operator": "Exists"}]},
             {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["-a"]}]},
             {"matchLabels": {"app": "-bad"}}, {"matchLabels": {"app": "x" * 64}},
             {"matchLabels": {"app": "x" * 63}}, {"matchLabels": {"a/b/c": "x"}},
             {"matchLabels": {"example.com/app": "x"}}, {"matchLabels": {"Example.com/app": "x"}},
             {"matchLabels": {"": "x"}}, {"matchLabels": {"app": ""}},
             {"matchLabels": {"app": "a.b_c-d"}}, {"matchLabels": {"app": 1}},
             {"matchLabels": {("a" * 63) + ".io/" + ("k" * 64): "x"}},
             {"matchLabels": {"app": "a"}, "matchExpressions": []}]
POLICY_TYPES = [["Foo"], ["Ingress", "Ingress"], [], ["ingress"], ["Egress", "Ingress"], "Ingress"]
POLICY = {"apiVersion": "bulwark.dev/v1alpha1", "kind": "SecurityPolicy",
          "metadata": {"name": "netpol-validation"},
          "spec": {"podSecurity": {"level": "privileged"},
                   "network": {"forbid": ["networkIngressUnrestricted"]}}}


def rule_with(spec, key, rule):
    spec.setdefault(key, [])
    if not isinstance(spec[key], list):
        spec[key] = []
    spec[key].append(rule)


def mutate(rng, np):
    """One risky value somewhere in `np`; returns what it did."""
    spec = np["spec"]
    direction, peers = rng.choice([("ingress", "from"), ("egress", "to")])
    what = rng.choice(["cidr", "except", "port", "peer", "selector", "types", "unknown"])
    if what == "cidr":
        value = rng.choice(CIDRS)
        rule_with(spec, direction, {peers: [{"ipBlock": {"cidr": value}}]})
    elif what == "except":
        cidr, ex = rng.choice(EXCEPTS)
        value = {"cidr": cidr, "except": [ex]}
        rule_with(spec, direction, {peers: [{"ipBlock": value}]})
    elif what == "port":
        value = rng.choice(PORTS)
        rule_with(spec, direction, {"ports": [value]})
    elif what == "peer":
        value = rng.choice(PEERS)
        rule_with(spec, direction, {peers: [value]})
    elif what == "selector":
        value = rng.choice(SELECTORS)
        where = rng.choice(["podSelector", "peer-pod", "peer-ns"])
        if where == "podSelector":
            spec["podSelector"] = value
        else:
            key = "podSelector" if where == "peer-pod" else "namespaceSelector"
            rule_with(spec, direction, {peers: [{key: value}]})
        what += " " + where
    elif what == "types":
        value = rng.choice(POLICY_TYPES)
        spec["policyTypes"] = value
    else:
        value = rng.choice(["spec", "rule", "ipBlock", "port"])
        if value == "spec":
            spec["podSelectr"] = {}
        elif value == "rule":
            rule_with(spec, direction, {peers + "x": []})
        elif value == "ipBlock":
            rule_with(spec, direction, {peers: [{"ipBlock": {"cidr": "198.18.0.0/16", "excpt": []}}]})
        else:
            rule_with(spec, direction, {"ports": [{"port": 80, "number": 80}]})
    return f"{what} {json.dumps(value)}"


def write_cases(rng, workdir, count):
    cases = []
    for i in range(count):
        np = network_policy(rng, i, ["default"], [])
        what = mutate(rng, np) if rng.random() < 0.85 else "none"
        path = os.path.join(workdir, f"np{i}.json")
        with open(path, "w") as f:
            json.dump(np, f)
        cases.append((path, what))
    return cases


def api_server_takes(kubectl, path):
    r = subprocess.run([kubectl, "create", "--dry-run=server", "-f", path, "-o", "name"],
                       capture_output=True, text=True)
    return r.returncode == 0, r.stderr.strip()[-300:]


def scan_takes(bulwark, policy, path):
    r = subprocess.run([bulwark, "scan", "--policy", policy, "-f", path],
                       capture_output=True, text=True)
    if r.returncode not in (0, 1, 2):
        return None, f"exit {r.returncode}: {r.stderr.strip()[-300:]}"
    return r.returncode != 2, r.stderr.strip()[-300:]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bulwark", required=True)
    parser.add_argument("--kubectl", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--seed", type=int, default=int(os.environ.get("BULWARK_DIFF_SEED") or
                                                        time.time()))
    parser.add_argument("--cases", type=int, default=300)
    args = parser.parse_args()
    start = time.monotonic()
    rng = random.Random(args.seed)
    cases = write_cases(rng, args.workdir, args.cases)
    policy = os.path.join(args.workdir, "policy.json")
    with open(policy, "w") as f:
        json.dump(POLICY, f)
    with ThreadPoolExecutor(max_workers=4) as pool:
        server = list(pool.map(lambda c: api_server_takes(args.kubectl, c[0]), cases))
        ours = list(pool.map(lambda c: scan_takes(args.bulwark, policy, c[0]), cases))
    mismatches = []
    for (path, what), (theirs, why), (mine, my_why) in zip(cases, server, ours):
        if mine != theirs:
            mismatches.append(f"{os.path.basename(path)} ({what}): API server "
                              f"{'takes' if theirs else 'refuses: ' + why}; scan "
                              f"{'takes' if mine else 'refuses: ' + my_why}")
    refused = sum(1 for t, _ in server if not t)
    print(f"seed {args.seed}: {len(cases)} NetworkPolicies, {refused} refused by the API server, "
          f"{len(mismatches)} mismatches, {time.monotonic() - start:.1f} s "
          f"(replay with BULWARK_DIFF_SEED={args.seed})")
    for m in mismatches[:40]:
        print("MISMATCH", m)
    return 1 if mismatches or refused == 0 or refused == len(cases) else 0


if __name__ == "__main__":
    sys.exit(main())
