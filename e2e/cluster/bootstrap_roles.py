#!/usr/bin/env python3
"""The ClusterRoles kube-apiserver bootstraps (label kubernetes.io/bootstrapping=rbac-defaults),
which `bulwark scan` uses where the scanned files bind a role they do not define
(operator/rbac/bootstrap_cluster_roles.json, built into the binary).

  bootstrap_roles.py capture --kubectl K OUT   writes them, from a control plane with no CRDs
                                               (admin, edit and view aggregate from CRDs' roles)
  bootstrap_roles.py check --kubectl K FILE    fails when the control plane's differ from FILE
"""
import argparse
import json
import subprocess
import sys

SELECTOR = "kubernetes.io/bootstrapping=rbac-defaults"


def live(kubectl):
    version = json.loads(subprocess.run([kubectl, "version", "-o", "json"], check=True,
                                        capture_output=True, text=True).stdout)
    roles = json.loads(subprocess.run([kubectl, "get", "clusterroles", "-l", SELECTOR, "-o",
                                       "json"], check=True, capture_output=True, text=True).stdout)
    items = []
    for r in sorted(roles["items"], key=lambda r: r["metadata"]["name"]):
        role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": {"name": r["metadata"]["name"],
                             "labels": r["metadata"].get("labels", {})},
                "rules": r.get("rules") or []}
        if "aggregationRule" in r:
            role["aggregationRule"] = r["aggregationRule"]
        items.append(role)
    return {"apiVersion": "v1", "kind": "List",
            "metadata": {"annotations": {
                "bulwark.dev/kubernetes-version": version["serverVersion"]["gitVersion"]}},
            "items": items}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("action", choices=["capture", "check"])
    ap.add_argument("--kubectl", required=True)
    ap.add_argument("file")
    args = ap.parse_args()
    got = live(args.kubectl)
    if args.action == "capture":
        with open(args.file, "w") as f:
            json.dump(got, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"{len(got['items'])} ClusterRoles of "
              f"{got['metadata']['annotations']['bulwark.dev/kubernetes-version']} in {args.file}")
        return 0
    shipped = json.load(open(args.file))
    if got == shipped:
        print(f"the {len(got['items'])} shipped bootstrap ClusterRoles match the control plane's")
        return 0
    names = {r["metadata"]["name"]: r for r in got["items"]}
    kept = {r["metadata"]["name"]: r for r in shipped["items"]}
    for name in sorted(set(names) | set(kept)):
        if names.get(name) != kept.get(name):
            print(f"DIFFERS {name}: control plane {'has' if name in names else 'lacks'} it, "
                  f"the shipped file {'has' if name in kept else 'lacks'} it")
    if got["metadata"] != shipped["metadata"]:
        print(f"DIFFERS version: {got['metadata']} against {shipped['metadata']}")
    print("regenerate: e2e/with_cluster.sh e2e/cluster/bootstrap_roles.py capture --kubectl "
          "KUBECTL operator/rbac/bootstrap_cluster_roles.json")
    return 1


if __name__ == "__main__":
    sys.exit(main())
