#!/usr/bin/env python3
"""Bulwark's RBAC controls against the API server's own RBAC authorizer (issue 18).

Seeded, repeatable: a few hundred generated Roles, ClusterRoles (some aggregated) and bindings
over a small vocabulary, and one Deployment per ServiceAccount. For every account and every
request-based RBAC control, SubjectAccessReviews sent from this process (one connection per
thread, the admin's client certificate) ask whether the authorizer allows any of the control's
requests, the way real requests come: in a namespace for namespaced resources, without one for
cluster-scoped ones (so a RoleBinding cannot grant them). A pod can also call the API server
without its token: the test cluster takes such requests (kube-apiserver's default), so what the
user system:anonymous (group system:unauthenticated) is allowed counts for every account, and some
bindings name those subjects. Then:
  - for every control Bulwark reports for an account, the API server allows at least one;
  - for every control it does not report, the API server allows none.
Bulwark's verdicts come from `bulwark scan --policy` on the generated files (phase `scan`) and
from the running operator's annotations (phase `operator`). rbacDefaultServiceAccount, which no
request expresses, is checked against the generated bindings themselves.

  rbac_vs_authorizer.py generate --seed N --workdir DIR --kubectl K    (writes and applies)
  rbac_vs_authorizer.py scan --workdir DIR --bulwark B                  (asks the authorizer too)
  rbac_vs_authorizer.py operator --workdir DIR --kubectl K
"""

import argparse
import http.client
import json
import os
import random
import ssl
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

NAMESPACES = ["d-a", "d-b"]
ACCOUNTS_PER_NAMESPACE = 12
VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection",
         "escalate", "bind", "impersonate"]
PAIRS = [("", "pods"), ("", "pods/exec"), ("", "pods/attach"), ("", "pods/portforward"),
         ("", "pods/ephemeralcontainers"), ("", "pods/proxy"), ("", "services/proxy"),
         ("", "nodes/pods"), ("", "nodes/log"),
         ("admissionregistration.k8s.io", "validatingadmissionpolicies"),
         ("admissionregistration.k8s.io", "mutatingadmissionpolicybindings"),
         ("", "secrets"), ("", "configmaps"), ("", "nodes/proxy"), ("", "serviceaccounts/token"),
         ("", "users"), ("", "groups"), ("", "serviceaccounts"), ("", "replicationcontrollers"),
         ("apps", "deployments"), ("apps", "daemonsets"), ("batch", "jobs"),
         ("batch", "cronjobs"), ("rbac.authorization.k8s.io", "clusterroles"),
         ("rbac.authorization.k8s.io", "roles"), ("rbac.authorization.k8s.io", "rolebindings"),
         ("rbac.authorization.k8s.io", "clusterrolebindings"),
         ("admissionregistration.k8s.io", "validatingwebhookconfigurations"),
         ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"),
         ("authentication.k8s.io", "uids")]
GROUPS = sorted({g for g, _ in PAIRS})
RESOURCES = sorted({r for _, r in PAIRS})
STAR_SUBRESOURCES = ["exec", "proxy"]  # the generator writes "*/exec" and "*/proxy" only
NAME = "app-secret"  # the one resourceName; asking with it also asks rules without names

RBAC = "rbac.authorization.k8s.io"
# Kubernetes' own ClusterRoles, which the generated files bind without defining.
BUILT_IN_ROLES = ["admin", "edit", "view", "system:aggregate-to-edit", "system:kubelet-api-admin",
                  "system:node-proxier", "system:controller:replicaset-controller"]
WORKLOAD_PAIRS = [("", "pods"), ("", "replicationcontrollers"), ("apps", "deployments"),
                  ("apps", "replicasets"), ("apps", "statefulsets"), ("apps", "daemonsets"),
                  ("batch", "jobs"), ("batch", "cronjobs")]

# docs/api.md's table, read independently of the C++: each control's requests, with where the
# request is made: "ns" in a namespace, "cluster" without one (cluster-scoped resources), "both".
ADMISSION = "admissionregistration.k8s.io"
PROXY_VERBS = ("get", "create", "update", "patch", "delete")  # the HTTP method's verb
CONTROLS = {
    "rbacClusterAdmin": [("*", "*", "*", "ns")],
    "rbacSecretsRead": [(v, "", "secrets", "ns") for v in ("get", "list", "watch")],
    "rbacPodExec": [("create", "", r, "ns") for r in ("pods/exec", "pods/attach",
                                                       "pods/portforward")]
    + [(v, "", r, "ns") for v in PROXY_VERBS for r in ("pods/proxy", "services/proxy")]
    + [(v, "", "pods/ephemeralcontainers", "ns") for v in ("update", "patch")],
    "rbacWorkloadCreate": [(v, g, r, "ns") for v in ("create", "update", "patch")
                           for g, r in WORKLOAD_PAIRS],
    "rbacEscalate": [(v, RBAC, "roles", "ns") for v in ("escalate", "bind")]
    + [("bind", RBAC, "clusterroles", "both"), ("escalate", RBAC, "clusterroles", "cluster")]
    + [(v, RBAC, "rolebindings", "ns") for v in ("create", "update", "patch")]
    + [(v, RBAC, "clusterrolebindings", "cluster") for v in ("create", "update", "patch")]
    + [("impersonate", "", "serviceaccounts", "ns")]
    + [("impersonate", "", r, "cluster") for r in ("users", "groups")]
    + [("impersonate", "authentication.k8s.io", "uids", "cluster")],
    "rbacNodeProxy": [(v, "", "nodes/proxy", "cluster") for v in VERBS],
    "rbacWebhookWrite": [(v, ADMISSION, r, "cluster")
                         for v in ("create", "update", "patch", "delete", "deletecollection")
                         for r in ("validatingwebhookconfigurations",
                                   "mutatingwebhookconfigurations",
                                   "validatingadmissionpolicies",
                                   "validatingadmissionpolicybindings",
                                   "mutatingadmissionpolicies",
                                   "mutatingadmissionpolicybindings")],
    "rbacTokenCreate": [("create", "", "serviceaccounts/token", "ns")],
    # A "*" in a request matches only a "*" in a rule, so these find exactly the rules with one.
    "rbacWildcard": [("*", g, r, "ns") for g, r in PAIRS]
    + [(v, "*", r, "ns") for v in VERBS for r in RESOURCES]
    + [(v, g, "*", "ns") for v in VERBS for g in GROUPS]
    + [(v, g, "*/" + s, "ns") for v in VERBS for g in GROUPS for s in STAR_SUBRESOURCES],
}
ALL_CONTROLS = list(CONTROLS) + ["rbacDefaultServiceAccount"]


def accounts():
    out = []
    for ns in NAMESPACES:
        out += [(ns, "default")] + [(ns, f"sa-{i}") for i in range(ACCOUNTS_PER_NAMESPACE)]
    return out


# --- generation -------------------------------------------------------------------------------

def random_rule(rng):
    group, resource = rng.choice(PAIRS)
    verbs = ["*"] if rng.random() < 0.05 else sorted(set(rng.sample(VERBS, rng.randint(1, 3))))
    groups = ["*"] if rng.random() < 0.05 else [group]
    roll = rng.random()
    if roll < 0.04:
        resources = ["*"]
    elif roll < 0.08:
        resources = ["*/" + rng.choice(STAR_SUBRESOURCES)]
    else:
        same = [r for g, r in PAIRS if g == group]
        resources = sorted(set([resource] + ([rng.choice(same)] if rng.random() < 0.3 else [])))
    rule = {"apiGroups": groups, "resources": resources, "verbs": verbs}
    if rng.random() < 0.15:
        rule["resourceNames"] = [NAME]
    return rule


def random_subjects(rng, binding_namespace):
    subjects = []
    for _ in range(rng.randint(1, 2)):
        ns, name = rng.choice(accounts())
        roll = rng.random()
        if roll < 0.6:
            s = {"kind": "ServiceAccount", "name": name, "namespace": ns}
            if binding_namespace == ns and rng.random() < 0.3:
                del s["namespace"]  # the authorizer reads it as the binding's namespace
        elif roll < 0.8:
            s = {"kind": "User", "apiGroup": RBAC, "name": f"system:serviceaccount:{ns}:{name}"}
        elif roll < 0.81:
            s = {"kind": "Group", "apiGroup": RBAC, "name": f"system:serviceaccounts:{ns}"}
        elif roll < 0.825:  # what any pod holds without its token
            s = rng.choice([{"kind": "Group", "apiGroup": RBAC, "name": "system:unauthenticated"},
                            {"kind": "User", "apiGroup": RBAC, "name": "system:anonymous"}])
        else:
            s = {"kind": "User", "apiGroup": RBAC, "name": rng.choice(["alice", "system:serviceaccount:d-a"])}
        subjects.append(s)
    return subjects


def generate(seed):
    rng = random.Random(seed)
    objects = []
    cluster_roles = []
    for i in range(60):
        labels = {}
        if rng.random() < 0.3:
            labels["diff.bulwark.dev/aggregate"] = rng.choice(["one", "two"])
        cluster_roles.append(f"d-cr-{i}")
        objects.append({"apiVersion": f"{RBAC}/v1", "kind": "ClusterRole",
                        "metadata": {"name": f"d-cr-{i}", "labels": labels},
                        "rules": [random_rule(rng) for _ in range(rng.randint(1, 4))]})
    for i, (selector) in enumerate([{"matchLabels": {"diff.bulwark.dev/aggregate": "one"}},
                                    {"matchLabels": {"diff.bulwark.dev/aggregate": "two"}},
                                    {"matchExpressions": [{"key": "diff.bulwark.dev/aggregate",
                                                           "operator": "Exists"}]}]):
        cluster_roles.append(f"d-agg-{i}")
        objects.append({"apiVersion": f"{RBAC}/v1", "kind": "ClusterRole",
                        "metadata": {"name": f"d-agg-{i}"},
                        "aggregationRule": {"clusterRoleSelectors": [selector]}, "rules": []})
    roles = {ns: [] for ns in NAMESPACES}
    for i in range(50):
        ns = rng.choice(NAMESPACES)
        roles[ns].append(f"d-role-{i}")
        objects.append({"apiVersion": f"{RBAC}/v1", "kind": "Role",
                        "metadata": {"name": f"d-role-{i}", "namespace": ns},
                        "rules": [random_rule(rng) for _ in range(rng.randint(1, 4))]})
    for i in range(60):
        ns = rng.choice(NAMESPACES)
        roll = rng.random()
        if roll < 0.03:
            ref = {"kind": "ClusterRole", "name": "cluster-admin"}
        elif roll < 0.06:
            ref = {"kind": "ClusterRole", "name": "d-missing"}
        elif roll < 0.14:  # only bound here: scan uses the pinned release's built-in roles
            ref = {"kind": "ClusterRole", "name": rng.choice(BUILT_IN_ROLES)}
        elif roll < 0.5 and roles[ns]:
            ref = {"kind": "Role", "name": rng.choice(roles[ns])}
        else:
            ref = {"kind": "ClusterRole", "name": rng.choice(cluster_roles)}
        objects.append({"apiVersion": f"{RBAC}/v1", "kind": "RoleBinding",
                        "metadata": {"name": f"d-rb-{i}", "namespace": ns},
                        "roleRef": dict(ref, apiGroup=RBAC),
                        "subjects": random_subjects(rng, ns)})
    for i in range(16):
        roll = rng.random()
        name = ("cluster-admin" if roll < 0.03 else rng.choice(BUILT_IN_ROLES) if roll < 0.1
                else rng.choice(cluster_roles))
        objects.append({"apiVersion": f"{RBAC}/v1", "kind": "ClusterRoleBinding",
                        "metadata": {"name": f"d-crb-{i}"},
                        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": name},
                        "subjects": random_subjects(rng, "")})
    # Every account, through its group, may read one ConfigMap: no control, but the index must
    # resolve the group for every account.
    objects.append({"apiVersion": f"{RBAC}/v1", "kind": "ClusterRole",
                    "metadata": {"name": "d-everyone"},
                    "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"],
                               "resourceNames": [NAME]}]})
    objects.append({"apiVersion": f"{RBAC}/v1", "kind": "ClusterRoleBinding",
                    "metadata": {"name": "d-everyone"},
                    "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "d-everyone"},
                    "subjects": [{"kind": "Group", "apiGroup": RBAC,
                                  "name": "system:serviceaccounts"}]})
    return objects


def workloads():
    docs = [{"apiVersion": "v1", "kind": "Namespace",
             "metadata": {"name": ns, "labels": {"diff": "rbac"}}} for ns in NAMESPACES]
    for ns, name in accounts():
        if name != "default":
            docs.append({"apiVersion": "v1", "kind": "ServiceAccount",
                         "metadata": {"name": name, "namespace": ns}})
        docs.append({"apiVersion": "apps/v1", "kind": "Deployment",
                     "metadata": {"name": f"w-{name}", "namespace": ns},
                     "spec": {"replicas": 0, "selector": {"matchLabels": {"app": name}},
                              "template": {"metadata": {"labels": {"app": name}},
                                           "spec": {"serviceAccountName": name,
                                                    "containers": [{"name": "a",
                                                                    "image": "r.example.com/a:1"}]}}}})
    return docs


def write_list(path, items):
    with open(path, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": items}, f)


def kubectl_json(kubectl, *args):
    return json.loads(subprocess.run([kubectl, *args, "-o", "json"], check=True,
                                     capture_output=True, text=True).stdout)


def wait_for_aggregation(kubectl, objects):
    """Polls until the aggregation controller has written every aggregated role's rules."""
    def selected(selector, labels):
        for k, v in selector.get("matchLabels", {}).items():
            if labels.get(k) != v:
                return False
        return all(e["key"] in labels for e in selector.get("matchExpressions", []))
    by_name = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ClusterRole"}
    want = {}
    for o in by_name.values():
        if "aggregationRule" not in o:
            continue
        rules = []
        for other in by_name.values():
            if other is o or not any(selected(s, other["metadata"].get("labels", {}))
                                     for s in o["aggregationRule"]["clusterRoleSelectors"]):
                continue
            rules += [json.dumps(r, sort_keys=True) for r in other["rules"]]
        want[o["metadata"]["name"]] = set(rules)
    deadline = time.time() + 60
    while time.time() < deadline:
        got = {}
        for item in kubectl_json(kubectl, "get", "clusterroles")["items"]:
            if item["metadata"]["name"] in want:
                got[item["metadata"]["name"]] = {json.dumps(r, sort_keys=True)
                                                 for r in item.get("rules") or []}
        if got == want:
            return
        time.sleep(0.2)
    sys.exit("the aggregation controller never materialised the aggregated ClusterRoles")


# --- the authorizer ---------------------------------------------------------------------------

class Authorizer:
    """SubjectAccessReviews over one kept-alive connection per thread."""

    def __init__(self, cluster):
        env = dict(line.strip().split("=", 1) for line in open(os.path.join(cluster, "env"))
                   if "=" in line)
        self.port = int(env["APISERVER_PORT"])
        pki = os.path.join(cluster, "pki")
        self.context = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
        self.context.load_cert_chain(os.path.join(pki, "admin.crt"), os.path.join(pki, "admin.key"))
        self.local = threading.local()
        self.count = 0
        self.lock = threading.Lock()

    def allowed(self, account, namespace, verb, group, resource):
        """account: (namespace, name), or None for a request without credentials."""
        main, _, sub = resource.partition("/")
        attributes = {"verb": verb, "group": group, "resource": main, "name": NAME}
        if namespace:
            attributes["namespace"] = namespace
        if sub:
            attributes["subresource"] = sub
        if account is None:
            user, groups = "system:anonymous", ["system:unauthenticated"]
        else:
            ns, name = account
            user = f"system:serviceaccount:{ns}:{name}"
            groups = ["system:serviceaccounts", f"system:serviceaccounts:{ns}",
                      "system:authenticated"]
        body = json.dumps({"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
                           "spec": {"user": user, "groups": groups,
                                    "resourceAttributes": attributes}})
        for attempt in range(3):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self.local.conn = http.client.HTTPSConnection(
                    "127.0.0.1", self.port, context=self.context, timeout=30)
            try:
                conn.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", body,
                             {"Content-Type": "application/json"})
                response = conn.getresponse()
                data = response.read()
                if response.status != 201:
                    raise RuntimeError(f"SubjectAccessReview: {response.status} {data[:200]!r}")
                with self.lock:
                    self.count += 1
                return json.loads(data)["status"].get("allowed", False)
            except (http.client.HTTPException, OSError):
                self.local.conn = None
                if attempt == 2:
                    raise
        return False

    def control_allowed(self, account, control):
        """The first request of the control the authorizer allows, or None."""
        for verb, group, resource, scope in CONTROLS[control]:
            where = ([""] if scope != "ns" else []) + (NAMESPACES if scope != "cluster" else [])
            for ns in where:
                if self.allowed(account, ns, verb, group, resource):
                    who = "anonymous" if account is None else "its account"
                    return f"{verb} {resource} ({group or 'core'}) {ns or 'cluster-wide'}, to {who}"
        return None


def authorizer_truth(cluster, workdir):
    path = os.path.join(workdir, "truth.json")
    if os.path.exists(path):
        return json.load(open(path))
    authorizer = Authorizer(cluster)
    # Anonymous first (None): what it is allowed, every account holds.
    jobs = [(None, c) for c in CONTROLS] + [(a, c) for a in accounts() for c in CONTROLS]
    start = time.time()
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda job: authorizer.control_allowed(*job), jobs))
    elapsed = time.time() - start
    anonymous = dict(zip(CONTROLS, answers))
    truth = {}
    for (account, control), answer in zip(jobs[len(CONTROLS):], answers[len(CONTROLS):]):
        truth.setdefault("/".join(account), {})[control] = answer or anonymous[control]
    print(f"authorizer: {authorizer.count} SubjectAccessReviews in {elapsed:.1f} s "
          f"({authorizer.count / max(elapsed, 1e-9):.0f}/s)")
    json.dump(truth, open(path, "w"))
    return truth


def default_account_truth(objects):
    """Accounts named default that a binding names directly (the account or its username)."""
    held = set()
    for o in objects:
        if o["kind"] not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        for s in o.get("subjects", []):
            if s["kind"] == "ServiceAccount":
                held.add(f"{s.get('namespace') or o['metadata'].get('namespace', '')}/{s['name']}")
            elif s["kind"] == "User" and s["name"].count(":") == 3 and \
                    s["name"].startswith("system:serviceaccount:"):
                _, _, ns, name = s["name"].split(":")
                held.add(f"{ns}/{name}")
    return {a for a in held if a.endswith("/default")}


def compare(verdicts, truth, objects, source):
    """verdicts: account key -> set of reported controls. Returns the number of mismatches."""
    mismatches = 0
    defaults = default_account_truth(objects)
    reported_total = 0
    for account in accounts():
        key = "/".join(account)
        reported = verdicts.get(key)
        if reported is None:
            print(f"MISMATCH {source}: no verdict for the workload of {key}")
            mismatches += 1
            continue
        reported_total += len(reported)
        for control in CONTROLS:
            allowed = truth[key][control]
            if control in reported and allowed is None:
                print(f"MISMATCH {source}: {key} reported {control}, "
                      "but the API server allows none of its requests")
                mismatches += 1
            elif control not in reported and allowed is not None:
                print(f"MISMATCH {source}: {key} not reported {control}, "
                      f"but the API server allows {allowed}")
                mismatches += 1
        if ("rbacDefaultServiceAccount" in reported) != (key in defaults):
            print(f"MISMATCH {source}: {key} rbacDefaultServiceAccount "
                  f"{'reported' if key in defaults else 'not reported'} by the bindings, "
                  f"{'reported' if 'rbacDefaultServiceAccount' in reported else 'not'} by Bulwark")
            mismatches += 1
    checks = len(accounts()) * len(ALL_CONTROLS)
    per_control = {c: sum(c in v for v in verdicts.values()) for c in ALL_CONTROLS}
    print(f"{source}: {checks} (account, control) pairs, {reported_total} reported "
          f"({', '.join(f'{c} {n}' for c, n in per_control.items())}), {mismatches} mismatches")
    return mismatches


def policy():
    return {"apiVersion": "bulwark.dev/v1alpha1", "kind": "SecurityPolicy",
            "metadata": {"name": "diff-rbac"},
            "spec": {"match": {"namespaceSelector": {"matchLabels": {"diff": "rbac"}}},
                     "podSecurity": {"level": "privileged"},
                     "images": {"forbidLatestTag": False},
                     "network": {"defaultDeny": False},
                     "permissions": {"forbid": ALL_CONTROLS},
                     "enforcement": {"mode": "Audit"}}}


# --- phases -----------------------------------------------------------------------------------

def phase_generate(args):
    objects = generate(args.seed)
    rbac = os.path.join(args.workdir, "rbac.json")
    work = os.path.join(args.workdir, "workloads.json")
    write_list(rbac, objects)
    write_list(work, workloads())
    json.dump(policy(), open(os.path.join(args.workdir, "policy.json"), "w"))
    subprocess.run([args.kubectl, "apply", "-f", work], check=True, capture_output=True)
    subprocess.run([args.kubectl, "apply", "-f", rbac], check=True, capture_output=True)
    wait_for_aggregation(args.kubectl, objects)
    kinds = {}
    for o in objects:
        kinds[o["kind"]] = kinds.get(o["kind"], 0) + 1
    print(f"seed {args.seed}: " + ", ".join(f"{n} {k}s" for k, n in sorted(kinds.items())) +
          f", {len(accounts())} accounts with a Deployment each")


def phase_scan(args):
    truth = authorizer_truth(os.environ["BULWARK_E2E_CLUSTER"], args.workdir)
    result = subprocess.run([args.bulwark, "scan", "--policy",
                             os.path.join(args.workdir, "policy.json"), "-o", "json",
                             os.path.join(args.workdir, "rbac.json"),
                             os.path.join(args.workdir, "workloads.json")],
                            capture_output=True, text=True)
    if result.returncode not in (0, 1):
        sys.exit(f"bulwark scan failed ({result.returncode}): {result.stderr}")
    verdicts = {}
    for r in json.loads(result.stdout)["results"]:
        if r["kind"] == "Deployment":
            verdicts[f"{r['namespace']}/{r['name'][2:]}"] = {v["control"] for v in r["violations"]}
    objects = json.load(open(os.path.join(args.workdir, "rbac.json")))["items"]
    return compare(verdicts, truth, objects, "scan")


def phase_operator(args):
    truth = authorizer_truth(os.environ["BULWARK_E2E_CLUSTER"], args.workdir)
    deadline = time.time() + 60
    while True:
        verdicts = {}
        for ns in NAMESPACES:
            for d in kubectl_json(args.kubectl, "-n", ns, "get", "deployments")["items"]:
                annotations = d["metadata"].get("annotations") or {}
                if "bulwark.dev/posture" in annotations:
                    listed = annotations.get("bulwark.dev/violations", "")
                    verdicts[f"{ns}/{d['metadata']['name'][2:]}"] = \
                        {c for c in listed.split(",") if c}
        if len(verdicts) == len(accounts()) or time.time() > deadline:
            break
        time.sleep(0.2)
    objects = json.load(open(os.path.join(args.workdir, "rbac.json")))["items"]
    return compare(verdicts, truth, objects, "operator")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("phase", choices=["generate", "scan", "operator"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--kubectl")
    parser.add_argument("--bulwark")
    args = parser.parse_args()
    if args.phase == "generate":
        phase_generate(args)
        return 0
    mismatches = phase_scan(args) if args.phase == "scan" else phase_operator(args)
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
