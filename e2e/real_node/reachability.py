#!/usr/bin/env python3
"""e2e.real_node_reachability: the network model against real packets through kube-router.

For each seed a generator relabels 9 pods in 3 namespaces (and the namespaces) and writes 4 to 10
random NetworkPolicies (pod and namespace selectors alone and together, ipBlocks over the pod
range or a pod, with except, ports by number, name and range, TCP and UDP, Ingress, Egress or
both); once kube-router has applied them (a sentinel policy changed last, polled until its effect
is seen) every ordered pair of pods is probed on every port the destination declares, from inside
the source pod's network namespace; `bulwark scan -o reach` predicts the same matrix from the
cluster's objects. Mismatches fail, unless listed in KNOWN_DIVERGENCES (printed, not counted).

  usage: reachability.py KUBECTL BULWARK WORKDIR   (seeds: BULWARK_REACH_SEEDS, "1,2,3,4,5")
"""
import ipaddress
import json
import os
import re
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "differential"))
from netpol_gen import (NS_VOCAB, POD_VOCAB, network_policy, random_labels,  # noqa: E402
                        random_ports)

KUBECTL, BULWARK, WORK = sys.argv[1:4]
HERE = os.path.dirname(os.path.abspath(__file__))
AGENT = os.path.join(HERE, "reach_agent.py")
IMAGE = "bulwark.test/image:busybox"
NAMESPACES = ["rx-1", "rx-2", "rx-3"]
SENTINEL_NS = "rx-sentinel"
# Known differences between kube-router v2.1.0 and the documented semantics
# (pkg/controllers/netpol/policy.go). A mismatching cell that one of them explains is excluded from
# the count and printed with its name; any other mismatch fails.
#  - "egress-named-all": an egress rule without `to` resolves its named ports against the pods of
#    the policy's own namespace only (buildNetworkPoliciesInfo, matchAllDestinations), and admits
#    those numbers toward every destination (processEgressRules: no destination set), where the
#    documentation resolves the name in each destination pod.
#  - "named-unresolved-all-ports": a rule with pod peers whose ports are all names that no matched
#    pod declares for that protocol ends with neither numeric nor named ports, and is then written
#    as the rule without ports: every port (processIngressRules / processEgressRules, "contains no
#    ports at all"), where the documentation admits nothing.
#  - "one-policy-both-pods": where one NetworkPolicy selects both pods of a connection,
#    kube-router's chain for it holds its ingress and its egress rules together
#    (processIngressRules, processEgressRules: one policyChainName), and each pod's firewall chain
#    runs the chains of the policies that select it, all marking an accepted packet with one bit
#    (0x10000, appendRuleToPolicyChain): the source's egress rules accept at the destination's check
#    and the destination's ingress rules at the source's. A connection one side admits passes though
#    the other side's rules deny it, where the documentation needs both. Seen only between pods of
#    one namespace, as the explanation predicts.
#  - "except-shared": a rule's ipBlocks share one ipset (hash:net), each except an entry marked
#    nomatch, and the most specific entry decides: an address one ipBlock admits and another
#    excepts is out for the whole rule (evalIPBlockPeer and RefreshSet in processIngressRules /
#    processEgressRules), where the documentation admits it (peers add up).
KNOWN_DIVERGENCES = ("egress-named-all", "named-unresolved-all-ports", "one-policy-both-pods",
                     "except-shared")


def kubectl(*args, stdin=None, check=True):
    done = subprocess.run([KUBECTL, *args], input=stdin, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"kubectl {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def apply(doc):
    kubectl("apply", "-f", "-", stdin=json.dumps(doc))


def pod_doc(ns, name, index, ports):
    container_ports = []
    for port_name, number, protocol in ports:
        p = {"containerPort": number, "protocol": protocol}
        if port_name:
            p["name"] = port_name
        container_ports.append(p)
    # The sleep's argument is unique: it finds the container's process, and so its network
    # namespace, on the node.
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
            "spec": {"terminationGracePeriodSeconds": 0, "containers": [
                {"name": "c", "image": IMAGE, "imagePullPolicy": "Never",
                 "command": ["sleep", str(1000000 + index)], "ports": container_ports}]}}


def pid_of(index):
    want = str(1000000 + index).encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if len(argv) >= 2 and argv[0].endswith(b"sleep") and argv[1] == want:
            return int(entry)
    return None


def in_pod(pid, *args):
    return ["nsenter", f"--net=/proc/{pid}/ns/net", "--", sys.executable, AGENT, *args]


class Cluster:
    """The pods, their listeners (started here, stopped by pid) and their addresses."""

    def __init__(self, rng):
        self.pods = []  # {"ns", "name", "index", "ports", "ip", "pid"}
        self.listeners = []
        index = 0
        for ns in NAMESPACES + [SENTINEL_NS]:
            kubectl("create", "namespace", ns)
        for ns in NAMESPACES:
            for n in range(3):
                ports = random_ports(rng)
                self.pods.append({"ns": ns, "name": f"p{index}", "index": index, "ports": ports})
                index += 1
        self.sentinel = [{"ns": SENTINEL_NS, "name": "src", "index": 90, "ports": []},
                         {"ns": SENTINEL_NS, "name": "dst", "index": 91,
                          "ports": [("", 7999, "TCP")]}]
        for p in self.pods + self.sentinel:
            apply(pod_doc(p["ns"], p["name"], p["index"], p["ports"]))

    def wait_running(self, seconds=120):
        deadline = time.time() + seconds
        everyone = self.pods + self.sentinel
        while time.time() < deadline:
            listed = json.loads(kubectl("get", "pods", "-A", "-o", "json"))["items"]
            ips = {(i["metadata"]["namespace"], i["metadata"]["name"]): i["status"].get("podIP")
                   for i in listed if i["status"].get("phase") == "Running"}
            for p in everyone:
                p["ip"] = ips.get((p["ns"], p["name"]))
                p["pid"] = pid_of(p["index"]) if p["ip"] else None
            if all(p["ip"] and p["pid"] for p in everyone):
                return True
            time.sleep(0.5)
        return False

    def start_listeners(self):
        for p in self.pods + self.sentinel:
            if not p["ports"]:
                continue
            specs = [f"{proto}:{number}" for _, number, proto in p["ports"]]
            proc = subprocess.Popen(in_pod(p["pid"], "listen", p["ip"], *specs),
                                    stdout=subprocess.PIPE, text=True)
            self.listeners.append(proc)
            if proc.stdout.readline().strip() != "ready":
                raise RuntimeError(f"the listener of {p['ns']}/{p['name']} did not start")

    def stop_listeners(self):
        for proc in self.listeners:
            proc.kill()
            proc.wait()

    def probe(self, source, targets):
        out = subprocess.run(in_pod(source["pid"], "probe"), input=json.dumps(targets),
                             capture_output=True, text=True, check=True).stdout
        return json.loads(out)


def relabel(kind, ns, name, vocab, labels):
    patch = {"metadata": {"labels": {k: labels.get(k) for k in vocab}}}
    args = ["patch", kind, name, "--type=merge", "-p", json.dumps(patch)]
    kubectl(*(args + (["-n", ns] if ns else [])))


SENTINEL_POLICY = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                   "metadata": {"name": "sentinel", "namespace": SENTINEL_NS},
                   "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}


def set_sentinel(cluster, closed, seconds=30):
    """Changes the sentinel policy last and waits until kube-router has applied it: what it sees
    after a change proves a sync that read every earlier change."""
    if closed:
        apply(SENTINEL_POLICY)
    else:
        kubectl("delete", "networkpolicy", "sentinel", "-n", SENTINEL_NS, "--ignore-not-found")
    src, dst = cluster.sentinel
    want = "refused" if closed else "through"
    deadline = time.time() + seconds
    while time.time() < deadline:
        seen = cluster.probe(src, [{"ip": dst["ip"], "port": 7999, "protocol": "TCP"}])[0]["seen"]
        if seen == want:
            return True
        time.sleep(0.2)
    return False


def measure(cluster):
    results, procs = {}, []
    for source in cluster.pods:
        targets = [{"to": t["name"], "ip": t["ip"], "port": number, "protocol": protocol}
                   for t in cluster.pods if t is not source for _, number, protocol in t["ports"]]
        procs.append((source, subprocess.Popen(in_pod(source["pid"], "probe"),
                                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                               text=True)))
        procs[-1][1].stdin.write(json.dumps(targets))
        procs[-1][1].stdin.close()
    by_name = {p["name"]: p for p in cluster.pods}
    for source, proc in procs:
        answers = json.loads(proc.stdout.read())
        if proc.wait() != 0:
            raise RuntimeError(f"the probes from {source['ns']}/{source['name']} failed")
        for r in answers:
            to = by_name[r["to"]]
            key = (f"Pod/{source['ns']}/{source['name']}", f"Pod/{to['ns']}/{to['name']}",
                   r["port"], r["protocol"])
            results[key] = r["seen"]
    return results


def model(seed):
    listed = json.loads(kubectl("get", "namespaces,pods,networkpolicies", "-A", "-o", "json"))
    items = [i for i in listed["items"]
             if (i["kind"] == "Namespace" and i["metadata"]["name"] in NAMESPACES) or
             i["metadata"].get("namespace") in NAMESPACES]
    path = os.path.join(WORK, f"seed-{seed}.json")
    with open(path, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": items}, f)
    done = subprocess.run([BULWARK, "scan", "-o", "reach", "-f", path], capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise RuntimeError(f"bulwark scan -o reach: {done.returncode}: {done.stderr}")
    out = {}
    for line in done.stdout.splitlines():
        row = json.loads(line)
        out[(row["from"], row["to"], row["port"], row["protocol"])] = row
    return out


EXPECTED = {"allowed": ("through",), "denied": ("refused", "timeout")}


def selects(selector, labels):
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for e in selector.get("matchExpressions", []):
        has, value = e["key"] in labels, labels.get(e["key"])
        op = e["operator"]
        if (op == "In" and value not in e["values"]) or (op == "NotIn" and value in e["values"]) \
                or (op == "Exists" and not has) or (op == "DoesNotExist" and has):
            return False
    return True


def selecting(pod, direction, policies):
    """The policies that select the pod for "ingress" or "egress" (policyTypes as defaulted)."""
    for p in policies:
        spec = p["spec"]
        types = spec.get("policyTypes") or ["Ingress"] + (["Egress"] if spec.get("egress") else [])
        if p["metadata"]["namespace"] == pod["ns"] and direction.capitalize() in types and \
                selects(spec["podSelector"], pod["labels"]):
            yield p


RULE = re.compile(r"(ingress|egress) rule (\d+) of NetworkPolicy ([\w-]+)/([\w-]+)")


def excepted_in_rule(source, destination, row, policies):
    """Whether a rule the model admits by has an ipBlock whose except holds the other end."""
    for direction, index, ns, name in RULE.findall(row["reason"]):
        other = source if direction == "ingress" else destination
        peers_key = "from" if direction == "ingress" else "to"
        for p in policies:
            if (p["metadata"]["namespace"], p["metadata"]["name"]) != (ns, name):
                continue
            rule = p["spec"][direction][int(index) - 1]
            for peer in rule.get(peers_key, []):
                for e in peer.get("ipBlock", {}).get("except", []):
                    if ipaddress.ip_address(other["ip"]) in ipaddress.ip_network(e):
                        return True
    return False


def divergence(source, destination, row, seen, policies):
    """The known kube-router divergence that may explain a mismatch of source -> destination."""
    if row["reach"] == "allowed" and seen != "through" and \
            excepted_in_rule(source, destination, row, policies):
        return "except-shared"
    def rules(pod, direction, _=None):
        for p in selecting(pod, direction, policies):
            yield from p["spec"].get(direction, [])

    def named(port):
        return isinstance(port.get("port"), str)

    sides = {row.get("egress"), row.get("ingress")}
    both = any(p["metadata"]["namespace"] == source["ns"] == destination["ns"] and
               selects(p["spec"]["podSelector"], source["labels"]) and
               selects(p["spec"]["podSelector"], destination["labels"]) for p in policies)
    if seen == "through" and row["reach"] == "denied" and sides == {"allowed", "denied"} and both:
        return "one-policy-both-pods"
    for rule in rules(source, "egress"):
        if "to" not in rule and any(named(p) for p in rule.get("ports", [])):
            return "egress-named-all"
    for pod, direction, peers_key in ((source, "egress", "to"), (destination, "ingress", "from")):
        for rule in rules(pod, direction):
            ports = rule.get("ports", [])
            with_pods = any("ipBlock" not in peer for peer in rule.get(peers_key, [])) or \
                peers_key not in rule
            if ports and all(named(p) for p in ports) and with_pods:
                return "named-unresolved-all-ports"
    return None


def compare(cluster, policies, measured, predicted):
    by_key = {f"Pod/{p['ns']}/{p['name']}": p for p in cluster.pods}
    mismatches, known, lines = 0, 0, []
    for key in sorted(set(measured) | set(predicted)):
        seen = measured.get(key, "not probed")
        row = predicted.get(key, {"reach": "not predicted", "reason": ""})
        mark = "  "
        if seen not in EXPECTED.get(row["reach"], ()):
            why = divergence(by_key[key[0]], by_key[key[1]], row, seen, policies)
            if why:
                known += 1
                mark = f"K {why}: "
            else:
                mismatches += 1
                mark = "X "
        lines.append(f"{mark}{key[0]} -> {key[1]} {key[2]}/{key[3]}: measured {seen}, model "
                     f"{row['reach']} ({row['reason']})")
    return mismatches, known, lines


def main():
    seeds = [int(s) for s in os.environ.get("BULWARK_REACH_SEEDS", "1,2,3,4,5").split(",") if s]
    began = time.monotonic()
    rng = random.Random(seeds[0])
    cluster = Cluster(rng)
    failed = 0
    try:
        if not cluster.wait_running():
            print("FAIL: the pods never ran")
            print(kubectl("get", "pods", "-A", "-o", "wide", check=False))
            return 1
        cluster.start_listeners()
        print(f"PASS: 9 pods and the sentinel running, listeners ready "
              f"({time.monotonic() - began:.1f} s)")
        for round_index, seed in enumerate(seeds):
            started = time.monotonic()
            failed += run_seed(cluster, seed, closed=round_index % 2 == 0)
            print(f"  seed {seed}: {time.monotonic() - started:.1f} s")
    finally:
        cluster.stop_listeners()
    return 1 if failed else 0


def run_seed(cluster, seed, closed):
    rng = random.Random(seed)
    for ns in NAMESPACES:
        kubectl("delete", "networkpolicy", "--all", "-n", ns)
        relabel("namespace", None, ns, NS_VOCAB, random_labels(rng, NS_VOCAB))
    for p in cluster.pods:
        p["labels"] = random_labels(rng, POD_VOCAB)
        relabel("pod", p["ns"], p["name"], POD_VOCAB, p["labels"])
    count = rng.randint(4, 10)
    addresses = [p["ip"] for p in cluster.pods]
    policies = [network_policy(rng, i, NAMESPACES, addresses) for i in range(count)]
    for policy in policies:
        apply(policy)
    if not set_sentinel(cluster, closed):
        print(f"FAIL: seed {seed}: kube-router never applied the sentinel policy")
        return 1
    measured = measure(cluster)
    predicted = model(seed)
    mismatches, known, lines = compare(cluster, policies, measured, predicted)
    verdict = "PASS" if mismatches == 0 else "FAIL"
    print(f"{verdict}: seed {seed}: {count} NetworkPolicies, {len(measured)} probes, "
          f"{mismatches} mismatches, {known} known divergences")
    if mismatches or known:
        print("\n".join("    " + line for line in lines if mismatches or line.startswith("K ")))
    if mismatches:
        print(kubectl("get", "networkpolicies", "-A", "-o", "yaml", check=False))
        print(kubectl("get", "pods,namespaces", "-A", "--show-labels", "-o", "wide", check=False))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
