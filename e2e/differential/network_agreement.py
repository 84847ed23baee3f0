#!/usr/bin/env python3
"""e2e.network_agreement: the running operator and `bulwark scan` judge the same NetworkPolicies,
Services and workloads alike (docs/api.md, Network controls). A seeded generator makes 3
namespaces, 8 Deployments (no replicas: templates only) with labels and named ports, 4 to 10
NetworkPolicies (e2e/differential/netpol_gen.py) and 3 Services of every exposure; the policy
forbids every network control. Scan reads the objects as the API server stored them.

  usage: network_agreement.py generate --seed N --kubectl K --workdir D
         network_agreement.py scan --bulwark B --kubectl K --workdir D   (writes D/scan.json)
         network_agreement.py operator --kubectl K --workdir D [--seconds S]
         network_agreement.py unread --kubectl K --workdir D [--seconds S]
         network_agreement.py change --seed N --kubectl K --workdir D
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netpol_gen import (NS_VOCAB, POD_VOCAB, network_policy, random_labels,  # noqa: E402
                        random_ports)

NAMESPACES = ["na-1", "na-2", "na-3"]
CONTROLS = ["networkIngressUnrestricted", "networkEgressUnrestricted",
            "networkIngressAllNamespaces", "networkIngressFromWorld", "networkEgressToWorld",
            "networkExposedService"]
POLICY = {"apiVersion": "bulwark.dev/v1alpha1", "kind": "SecurityPolicy",
          "metadata": {"name": "network-agreement"},
          "spec": {"match": {"namespaceSelector": {"matchLabels": {"network-agreement": "on"}}},
                   "podSecurity": {"level": "privileged"}, "images": {"forbidLatestTag": False},
                   "network": {"defaultDeny": False, "forbid": CONTROLS},
                   "enforcement": {"mode": "Audit"}}}


def kubectl(args, path, *rest, stdin=None):
    done = subprocess.run([args.kubectl, *rest], input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"kubectl {' '.join(rest)}: {done.stderr.strip()}")
    return done.stdout


def deployment(ns, name, labels, ports):
    container_ports = [dict({"containerPort": n, "protocol": p}, **({"name": pn} if pn else {}))
                       for pn, n, p in ports]
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": 0, "selector": {"matchLabels": {"workload": name}},
                     "template": {"metadata": {"labels": dict(labels, workload=name)},
                                  "spec": {"containers": [{"name": "c", "image": "i:1",
                                                           "ports": container_ports}]}}}}


def service(rng, index):
    kind = rng.choice(["ClusterIP", "NodePort", "LoadBalancer", "externalIPs"])
    spec = {"selector": {k: v for k, v in random_labels(rng, POD_VOCAB).items()} or {"app": "a"},
            "ports": [{"name": "web", "port": 80,
                       "targetPort": rng.choice([8080, "http", "metrics", 7000])},
                      {"name": "dns", "port": 53, "protocol": "UDP",
                       "targetPort": rng.choice([5353, "dns"])}]}
    if kind in ("NodePort", "LoadBalancer") and rng.random() < 0.5:
        spec["externalTrafficPolicy"] = "Local"
    if kind == "externalIPs":
        spec["externalIPs"] = ["198.18.0.200"]
    else:
        spec["type"] = kind
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": f"svc{index}", "namespace": rng.choice(NAMESPACES)}, "spec": spec}


def generate(args):
    rng = random.Random(args.seed)
    objects = []
    for ns in NAMESPACES:
        labels = dict(random_labels(rng, NS_VOCAB), **{"network-agreement": "on"})
        objects.append({"apiVersion": "v1", "kind": "Namespace",
                        "metadata": {"name": ns, "labels": labels}})
    for i in range(8):
        objects.append(deployment(rng.choice(NAMESPACES), f"w{i}", random_labels(rng, POD_VOCAB),
                                  random_ports(rng)))
    objects += [network_policy(rng, i, NAMESPACES, []) for i in range(rng.randint(4, 10))]
    objects += [service(rng, i) for i in range(3)]
    objects.append(POLICY)
    kubectl(args, None, "apply", "-f", "-",
            stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))


def change(args):
    """Replaces the NetworkPolicies and Services with another seeded set while the operator runs:
    policies of the same name change selector or namespace, the rest come or go. Only the
    workloads the network index routes each change to are judged again, so any workload it misses
    keeps its old findings and disagrees with the next scan."""
    rng = random.Random(f"{args.seed}-change")
    new = [network_policy(rng, i, NAMESPACES, []) for i in range(rng.randint(4, 10))]
    new += [service(rng, i) for i in range(3)]
    keep = {(o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]) for o in new}
    kubectl(args, None, "apply", "-f", "-",
            stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": new}))
    gone = 0
    for o in stored(args):
        key = (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"])
        if o["kind"] in ("NetworkPolicy", "Service") and key not in keep:
            kubectl(args, None, "-n", key[1], "delete", o["kind"].lower(), key[2])
            gone += 1
    print(f"changed: {len(new)} NetworkPolicies and Services applied, {gone} deleted")
    return 0


def stored(args):
    listed = json.loads(kubectl(args, None, "get", "namespaces,deployments,networkpolicies,services",
                                "-A", "-o", "json"))
    return [i for i in listed["items"]
            if (i["kind"] == "Namespace" and i["metadata"]["name"] in NAMESPACES) or
            i["metadata"].get("namespace") in NAMESPACES]


def scan(args):
    path = os.path.join(args.workdir, "objects.json")
    with open(path, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": stored(args)}, f)
    policy = os.path.join(args.workdir, "policy.json")
    with open(policy, "w") as f:
        json.dump(POLICY, f)
    done = subprocess.run([args.bulwark, "scan", "--policy", policy, "-o", "json", "-f", path],
                          capture_output=True, text=True)
    if done.returncode not in (0, 1):
        print(done.stderr)
        return 1
    verdicts = {}
    for r in json.loads(done.stdout)["results"]:
        verdicts[f"{r['namespace']}/{r['name']}"] = sorted(
            {v["control"] for v in r.get("violations", []) if v["control"] in CONTROLS})
    with open(os.path.join(args.workdir, "scan.json"), "w") as f:
        json.dump(verdicts, f, indent=1, sort_keys=True)
    findings = sum(len(c) for c in verdicts.values())
    print(f"scan judged {len(verdicts)} workloads: {findings} network findings")
    return 0


def operator_verdicts(args):
    listed = json.loads(kubectl(args, None, "get", "deployments", "-A", "-o", "json"))
    out = {}
    for d in listed["items"]:
        if d["metadata"]["namespace"] not in NAMESPACES:
            continue
        a = d["metadata"].get("annotations", {})
        if "bulwark.dev/posture" not in a:
            return None  # not judged yet
        controls = [c for c in a.get("bulwark.dev/violations", "").split(",") if c in CONTROLS]
        out[f"{d['metadata']['namespace']}/{d['metadata']['name']}"] = sorted(controls)
    return out


def operator(args):
    with open(os.path.join(args.workdir, "scan.json")) as f:
        want = json.load(f)
    deadline, got = time.time() + args.seconds, None
    while time.time() < deadline:
        got = operator_verdicts(args)
        if got == want:
            print(f"the operator agrees with scan on {len(want)} workloads")
            return 0
        time.sleep(0.5)
    print("scan:\n" + json.dumps(want, indent=1, sort_keys=True))
    print("operator:\n" + json.dumps(got, indent=1, sort_keys=True))
    print(json.dumps(stored(args), indent=1))
    return 1


def unread(args):
    """Every workload's network controls not evaluated (Services may not be read), none judged."""
    deadline = time.time() + args.seconds
    while time.time() < deadline:
        listed = json.loads(kubectl(args, None, "get", "deployments", "-A", "-o", "json"))
        annotations = [d["metadata"].get("annotations", {}) for d in listed["items"]
                       if d["metadata"]["namespace"] in NAMESPACES]
        if annotations and all(
                a.get("bulwark.dev/posture") == "not-evaluated" and
                sorted(a.get("bulwark.dev/not-evaluated", "").split(",")) == sorted(CONTROLS)
                for a in annotations):
            print(f"{len(annotations)} workloads not evaluated on every network control")
            return 0
        time.sleep(0.5)
    print(json.dumps(annotations, indent=1))
    return 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=["generate", "scan", "operator", "unread", "change"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kubectl")
    parser.add_argument("--bulwark")
    parser.add_argument("--workdir")
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    steps = {"generate": generate, "scan": scan, "operator": operator, "unread": unread,
             "change": change}
    return steps[args.step](args) or 0


if __name__ == "__main__":
    sys.exit(main())
