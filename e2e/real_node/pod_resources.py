#!/usr/bin/env python3
"""resourceLimits and resourceRequests against Kubernetes itself, for pods that set resources at
pod level (spec.resources, Kubernetes 1.34+), per container, both or neither, some of them zero
(which the kubelet takes for no limit).

Every generated pod goes through the API server's dry run: it must be valid (the generator is off
when more than a fifth are not), and the object the server returns, defaulted as a created pod
is (a request defaults to its limit, for containers and for the pod), is the judge of requests:
a resource is reserved by the pod's request, or where it has none by every container's, and bounded
by a pod limit, or one on every container, above zero (as the kubelet reads them). A sample, chosen to
hold bounded and unbounded pods for each resource in Bulwark's verdict, runs on the real node,
whose pod cgroup is the judge of limits: memory.limit_in_bytes and cpu.cfs_quota_us finite.
`bulwark scan` of the generated file must agree with both for each pod and resource.

usage: pod_resources.py --bulwark BIN --kubectl KUBECTL [--seed N] [--cases N] [--sample N]
"""
import argparse
import glob
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time

RESOURCES = ("cpu", "memory")
POLICY = """apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: resources}
spec:
  resources: {requireLimits: true, requireRequests: true}
"""
IMAGE = "bulwark.test/image:busybox"
UNBOUNDED_MEMORY = 1 << 62  # cgroup v1 reports "no limit" as about 2^63, rounded to a page


def resources(rng, limits, requests):
    """A resources stanza with a random subset of the given values."""
    out = {}
    for field, values in (("limits", limits), ("requests", requests)):
        chosen = {r: v for r, v in values.items() if rng.random() < 0.45}
        if chosen:
            out[field] = chosen
    return out


def drop_requests_over_zero_limits(res):
    """A request over a zero limit is invalid: leave the request out (it defaults to the zero)."""
    for r, v in res.get("limits", {}).items():
        if re.fullmatch(r"[0.]+[A-Za-z]*", v):  # 0, 0.0, 0Mi
            res.get("requests", {}).pop(r, None)
    if "requests" in res and not res["requests"]:
        del res["requests"]
    return res


def random_pod(rng, name):
    containers = []
    for i in range(rng.choice([1, 1, 2, 3])):
        c = {"name": f"c{i}", "image": IMAGE, "imagePullPolicy": "Never",
             "command": ["sleep", "3600"]}
        res = resources(rng, {"cpu": rng.choice(["100m", "100m", "100m", "0"]),
                              "memory": rng.choice(["48Mi", "48Mi", "48Mi", "0Mi"])},
                        {"cpu": "20m", "memory": "16Mi"})
        res = drop_requests_over_zero_limits(res)
        if res:
            c["resources"] = res
        containers.append(c)
    spec = {"terminationGracePeriodSeconds": 0, "containers": containers}
    if rng.random() < 0.25:
        init = {"name": "init", "image": IMAGE, "imagePullPolicy": "Never", "command": ["sleep", "0"]}
        res = resources(rng, {"cpu": "100m", "memory": "48Mi"}, {"cpu": "20m", "memory": "16Mi"})
        if res:
            init["resources"] = res
        spec["initContainers"] = [init]
    if rng.random() < 0.6:
        # Small enough that the sample fits the real node's allocatable cpu and memory.
        res = resources(rng, {"cpu": rng.choice(["300m", "300m", "300m", "0.0"]),
                              "memory": "128Mi"}, {"cpu": "100m", "memory": "64Mi"})
        res = drop_requests_over_zero_limits(res)
        if res:
            spec["resources"] = res
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def kubectl(args, ctl, **kw):
    return subprocess.run([ctl] + args, capture_output=True, text=True, **kw)


def server_objects(ctl, namespace, path):
    """{name: defaulted pod} for the pods of the file the API server's dry run accepts."""
    out = {}
    r = kubectl(["create", "--dry-run=server", "-n", namespace, "-o", "json", "-f", path], ctl)
    text, decoder, at = r.stdout, json.JSONDecoder(), 0
    while True:  # one JSON object a pod, one after another
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return out
        item, at = decoder.raw_decode(text, at)
        out[item["metadata"]["name"]] = item


def nonzero(quantity):
    """The API server's canonical quantity (a zero limit, and the request defaulted from it, is
    "0"): zero reserves nothing, and the kubelet takes a zero limit for none."""
    return quantity is not None and quantity != "0"


def reserved(pod, resource):
    """From the defaulted object: the pod's request where it has one (the kubelet's pod cgroup
    takes it), else every container's."""
    spec = pod["spec"]
    if resource in spec.get("resources", {}).get("requests", {}):
        return nonzero(spec["resources"]["requests"][resource])
    every = spec.get("initContainers", []) + spec["containers"]
    return all(nonzero(c.get("resources", {}).get("requests", {}).get(resource)) for c in every)


def bounded(pod, resource):
    """From the defaulted object, as the kubelet's ResourceConfigForPod reads it: a pod limit above
    zero, or one above zero on every container."""
    spec = pod["spec"]
    if nonzero(spec.get("resources", {}).get("limits", {}).get(resource)):
        return True
    every = spec.get("initContainers", []) + spec["containers"]
    return all(nonzero(c.get("resources", {}).get("limits", {}).get(resource)) for c in every)


def bulwark_findings(bulwark, path, workdir):
    policy = os.path.join(workdir, "policy.yaml")
    with open(policy, "w") as f:
        f.write(POLICY)
    r = subprocess.run([bulwark, "scan", "-f", path, "--policy", policy, "-o", "json"],
                       capture_output=True, text=True)
    if r.returncode not in (0, 1):
        raise SystemExit(f"bulwark scan exited {r.returncode}: {r.stderr[-1000:]}")
    found = {}
    for result in json.loads(r.stdout)["results"]:
        flags = found.setdefault(result["name"], set())
        for v in result.get("violations", []):
            if v["control"] in ("resourceLimits", "resourceRequests"):
                flags.add((v["control"], v["path"].rsplit(".", 1)[1]))
    return found


def pod_cgroup_limits(uid):
    """(memory bounded, cpu bounded) from the pod's cgroup on the real node, None if not found."""
    found = {}
    for controller, name in (("memory", "memory.limit_in_bytes"), ("cpu", "cpu.cfs_quota_us")):
        dirs = glob.glob(f"/sys/fs/cgroup/{controller}/**/pod{uid}", recursive=True)
        if not dirs:
            return None
        with open(os.path.join(dirs[0], name)) as f:
            value = int(f.read())
        found[controller] = value < UNBOUNDED_MEMORY if controller == "memory" else value > 0
    return found


def pick_sample(names, found, size):
    """Pods covering bounded and unbounded, per resource, in Bulwark's verdict."""
    rng = random.Random(len(names))
    chosen = []
    for resource in RESOURCES:
        for bounded in (True, False):
            pool = [n for n in names if n not in chosen and
                    (("resourceLimits", resource) not in found[n]) == bounded]
            chosen += rng.sample(pool, min(len(pool), max(1, size // 4)))
    return chosen[:size]


def run_sample(ctl, namespace, pods, sample):
    """{name: cgroup limits} for the sample, created on the real node."""
    items = [p for p in pods if p["metadata"]["name"] in sample]
    r = kubectl(["create", "-n", namespace, "-f", "-"], ctl,
                input=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    if r.returncode != 0:
        raise SystemExit("could not create the sample: " + r.stderr[-1000:])
    deadline = time.monotonic() + 120
    limits = {}
    while time.monotonic() < deadline and len(limits) < len(sample):
        got = json.loads(kubectl(["get", "pods", "-n", namespace, "-o", "json"], ctl).stdout)
        for pod in got["items"]:
            name = pod["metadata"]["name"]
            if name in sample and name not in limits and pod["status"].get("phase") == "Running":
                cg = pod_cgroup_limits(pod["metadata"]["uid"])
                if cg is not None:
                    limits[name] = cg
        time.sleep(1)
    missing = sorted(set(sample) - set(limits))
    if missing:
        raise SystemExit(f"pods not running with a pod cgroup within 120 s: {missing}")
    return limits


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bulwark", required=True)
    ap.add_argument("--kubectl", required=True)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("BULWARK_DIFF_SEED", "20261206")))
    ap.add_argument("--cases", type=int, default=150)
    ap.add_argument("--sample", type=int, default=8)
    args = ap.parse_args()
    start = time.monotonic()
    rng = random.Random(args.seed)
    workdir = tempfile.mkdtemp(prefix="bulwark-resources-")
    pods = [random_pod(rng, f"r{i:04d}") for i in range(args.cases)]
    path = os.path.join(workdir, "pods.json")
    with open(path, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": pods}, f)
    namespace = "bulwark-resources"
    kubectl(["create", "namespace", namespace], args.kubectl)
    server = server_objects(args.kubectl, namespace, path)
    found = bulwark_findings(args.bulwark, path, workdir)
    mismatches = []
    for name, obj in sorted(server.items()):
        for resource in RESOURCES:
            flagged = ("resourceRequests", resource) in found.get(name, set())
            if flagged == reserved(obj, resource):
                mismatches.append(f"{name} requests.{resource}: API server's defaulted object "
                                  f"{'reserves' if flagged else 'does not reserve'} it, "
                                  f"bulwark {'flags' if flagged else 'passes'} it")
            flagged = ("resourceLimits", resource) in found.get(name, set())
            if flagged == bounded(obj, resource):
                mismatches.append(f"{name} limits.{resource}: API server's defaulted object "
                                  f"{'bounds' if flagged else 'does not bound'} it, "
                                  f"bulwark {'flags' if flagged else 'passes'} it")
    valid = [n for n in sorted(server)]
    sample = pick_sample(valid, found, args.sample)
    cgroups = run_sample(args.kubectl, namespace, pods, sample)
    for name, cg in sorted(cgroups.items()):
        for resource in RESOURCES:
            flagged = ("resourceLimits", resource) in found.get(name, set())
            if flagged == cg[resource]:
                mismatches.append(f"{name} limits.{resource}: pod cgroup "
                                  f"{'bounded' if cg[resource] else 'unbounded'}, bulwark "
                                  f"{'flags' if flagged else 'passes'} it")
    invalid = args.cases - len(server)
    print(f"seed {args.seed}: {args.cases} pods, {len(server)} valid to the API server "
          f"({invalid} not), requests and limits judged on all of them, limits also on {len(cgroups)} run on the "
          f"real node ({sum(cg['memory'] for cg in cgroups.values())} memory-bounded, "
          f"{sum(cg['cpu'] for cg in cgroups.values())} cpu-bounded), {len(mismatches)} "
          f"mismatches, {time.monotonic() - start:.1f} s")
    for m in mismatches[:40]:
        print("MISMATCH", m)
    if invalid > args.cases // 5:
        print(f"FAIL: {invalid} pods were invalid to the API server; the generator is off")
        return 1
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
