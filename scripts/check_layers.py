#!/usr/bin/env python3
"""The folders are layers: every #include between folders points down (docs/architecture.md).

LAYERS below is the one place the order is written, bottom first, at both levels: the top-level
folders, then the sub-folders of those that have them. A file may include a file of its own
folder or of one listed before it; anything else is an include that points up, and this script
names each one and exits 1. `--self-test` checks that it does, on a tree it makes.

usage: check_layers.py [ROOT]   (default: the repository holding this script)
       check_layers.py --self-test
"""
import os
import re
import sys
import tempfile

LAYERS = {
    # the product's top-level folders with C++ in them, bottom first
    "": ["operator", "config", "metrics", "reconcilers", "app"],
    "operator": ["base", "document", "logging", "server", "canary", "images", "kube", "runtime",
                 "policy", "registry", "network", "rbac", "posture", "policy_reports"],
    "app": ["admission", "cli", "main.cpp"],
}
SOURCES = (".h", ".cpp", ".in")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def place(path):
    """(top-level index, sub-folder index or None) of a path from the root; None if unlisted."""
    parts = path.split("/")
    if parts[0] not in LAYERS[""]:
        return None
    top = LAYERS[""].index(parts[0])
    subs = LAYERS.get(parts[0])
    if subs is None or len(parts) < 2:
        return (top, None)
    if parts[1] not in subs:
        raise SystemExit(f"{path}: {parts[0]}/{parts[1]} is in no layer; add it to LAYERS in "
                         f"{os.path.relpath(__file__)}")
    return (top, subs.index(parts[1]))


def upward_includes(root):
    found = []
    for top in LAYERS[""]:
        for folder, _, files in os.walk(os.path.join(root, top)):
            for name in sorted(files):
                if not name.endswith(SOURCES):
                    continue
                path = os.path.relpath(os.path.join(folder, name), root)
                source = place(path)
                with open(os.path.join(root, path), errors="replace") as f:
                    text = f.read()
                for target in INCLUDE.findall(text):
                    to = place(target) if "/" in target else None
                    if to is None:
                        continue  # a system header, or a folder outside the product (tests/)
                    points_up = to[0] > source[0] or (
                        to[0] == source[0] and None not in (to[1], source[1]) and to[1] > source[1])
                    if points_up:
                        found.append(f"{path} includes {target}, which is above it")
    return sorted(found)


def self_test():
    with tempfile.TemporaryDirectory() as root:
        def write(path, text):
            os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
            with open(os.path.join(root, path), "w") as f:
                f.write(text)
        write("operator/kube/client.h", '#include "operator/document/value.h"\n#include <map>\n')
        write("operator/document/value.h", "")
        write("reconcilers/a.h", '#include "operator/kube/client.h"\n')
        assert upward_includes(root) == [], upward_includes(root)
        write("operator/document/reader.h", '#include "operator/kube/client.h"\n')
        write("operator/base/clock.h", '#include "reconcilers/a.h"\n')
        got = upward_includes(root)
        assert got == sorted(["operator/base/clock.h includes reconcilers/a.h, which is above it",
                              "operator/document/reader.h includes operator/kube/client.h, which "
                              "is above it"]), got
    print("check_layers self-test: an include pointing up is found at both levels")


def main():
    if sys.argv[1:] == ["--self-test"]:
        self_test()
        return 0
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))
    found = upward_includes(root)
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} includes point up (the order is LAYERS in scripts/check_layers.py)")
        return 1
    print("every include between folders points down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
