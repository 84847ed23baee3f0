#!/usr/bin/env python3
"""The sample workloads as they run on the demo's real node (scripts/demo.sh).

Reads `kubectl create --dry-run=client -o json` of the samples on standard input.
  images     prints every container image they name, once each;
  manifests  prints them with every container serving HTTP on 8080 from the test image
             (`httpd -f -p 8080 -h /www`, imagePullPolicy Never, so nothing is pulled); the image
             names, and every field the policies judge, stay as written.
"""
import json
import sys


def read_objects(text):
    """kubectl prints one JSON document per object, one after another; a List's items count."""
    decoder, at, out = json.JSONDecoder(), 0, []
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return out
        doc, at = decoder.raw_decode(text, at)
        out.extend(doc.get("items", []) if doc.get("kind") == "List" else [doc])


def pod_spec(obj):
    spec = obj.get("spec", {})
    if obj.get("kind") == "Pod":
        return spec
    if obj.get("kind") == "CronJob":
        return spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec")
    return spec.get("template", {}).get("spec")


def containers(spec):
    for key in ("initContainers", "containers"):
        yield from spec.get(key, []) or []


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    objects = read_objects(sys.stdin.read())
    if mode == "images":
        seen = []
        for obj in objects:
            spec = pod_spec(obj)
            for c in containers(spec or {}):
                if c.get("image") and c["image"] not in seen:
                    seen.append(c["image"])
        print("\n".join(seen))
    elif mode == "manifests":
        for obj in objects:
            for c in containers(pod_spec(obj) or {}):
                c["imagePullPolicy"] = "Never"
                c["command"] = ["httpd", "-f", "-p", "8080", "-h", "/www"]
                c.pop("args", None)
        json.dump({"apiVersion": "v1", "kind": "List", "items": objects}, sys.stdout)
    else:
        sys.exit("usage: demo_on_node.py images|manifests < samples.json")


if __name__ == "__main__":
    main()
