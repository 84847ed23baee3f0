#!/usr/bin/env python3
"""Writes the scan race's corpus: DEPLOYMENTS Deployments of about 70 lines, two containers each, a
quarter violating Pod Security restricted (each of those in one of four ways), in FILES files.

usage: scan_corpus.py OUT_DIR [--deployments 10000] [--files 100] [--json]
--json writes the same manifests as JSON (one List a file), for the JSON figure."""
import argparse
import json
import os


def container(name, image, port, violation):
    sc = {
        "allowPrivilegeEscalation": False,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    if violation == 1:
        sc["allowPrivilegeEscalation"] = True
    elif violation == 2:
        sc["capabilities"] = {"add": ["NET_ADMIN"], "drop": ["ALL"]}
    elif violation == 3:
        sc["privileged"] = True
    c = {
        "name": name,
        "image": image,
        "ports": [{"containerPort": port, "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                      "limits": {"cpu": "500m", "memory": "256Mi"}},
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": port}},
        "securityContext": sc,
    }
    return c


def deployment(i):
    violation = (i % 4 == 3) and (1 + (i // 4) % 4) or 0
    name = "app-%05d" % i
    labels = {"app": name, "tier": "backend"}
    pod_sc = {"runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 2000}
    if violation == 4:
        pod_sc["runAsNonRoot"] = False
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "team-%02d" % (i % 20), "labels": labels,
                     "annotations": {"owner": "platform"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "securityContext": pod_sc,
                    "containers": [
                        container("app", "registry.example/app:1.%d.0" % (i % 7), 8080, violation),
                        container("sidecar", "registry.example/proxy:2.1.0", 9090, 0),
                    ],
                },
            },
        },
    }


def to_yaml(value, indent=0):
    pad = "  " * indent
    lines = []
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                lines.append("%s%s:" % (pad, k))
                lines.extend(to_yaml(v, indent + 1))
            else:
                lines.append("%s%s: %s" % (pad, k, json.dumps(v)))
    else:
        for item in value:
            if not isinstance(item, (dict, list)):
                lines.append("%s- %s" % (pad, json.dumps(item)))
                continue
            sub = to_yaml(item, indent + 1)
            first = sub[0].strip()
            lines.append("%s- %s" % (pad, first))
            lines.extend(sub[1:])
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--deployments", type=int, default=10000)
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    per = (a.deployments + a.files - 1) // a.files
    for f in range(a.files):
        items = [deployment(i) for i in range(f * per, min(a.deployments, (f + 1) * per))]
        path = os.path.join(a.out, "deployments-%03d.%s" % (f, "json" if a.json else "yaml"))
        with open(path, "w") as out:
            if a.json:
                json.dump({"apiVersion": "v1", "kind": "List", "items": items}, out, indent=2)
            else:
                out.write("".join("---\n" + "\n".join(to_yaml(d)) + "\n" for d in items))


if __name__ == "__main__":
    main()
