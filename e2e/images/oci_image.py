#!/usr/bin/env python3
"""Reproducible test images and a registry pusher for the image signature tests.

An image here is one uncompressed layer (no compressor's version can change a digest) holding
/pause, a 129-byte static x86-64 ELF that waits for signals forever, and /variant, a text naming
the variant: the same variant always has the same manifest digest, so signatures made once by
real cosign over it (testdata/, make_signatures.sh) stay valid.

usage: oci_image.py digest VARIANT
       oci_image.py index-digest VARIANT...
       oci_image.py push URL REPO TAG VARIANT         push the image, tag it, print its digest
       oci_image.py push-index URL REPO TAG VARIANT...
                                                       a multi-arch index of the variants' images
                                                       (one platform each), tagged; its digest
       oci_image.py push-dir URL REPO DIR             push a saved artifact (DIR/manifest.json,
                                                       DIR/tag, DIR/blobs/*)
       oci_image.py save URL REPO REFERENCE DIR       save a manifest and its blobs into DIR
URL is http://host:port or https://host:port; BULWARK_REGISTRY_AUTH=user:password adds basic
credentials and BULWARK_REGISTRY_CA=FILE a CA to trust.
"""
import base64
import hashlib
import io
import json
import os
import ssl
import struct
import sys
import tarfile
import urllib.request

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"


def pause_elf():
    """A static ELF64 x86-64 executable: `1: mov eax, 34 (pause); syscall; jmp 1b`."""
    code = bytes.fromhex("b8220000000f05ebf7")
    base, header, phdr = 0x400000, 64, 56
    entry = base + header + phdr
    size = header + phdr + len(code)
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    ehdr = ident + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, entry, header, 0, 0, header, phdr, 1,
                               0, 0, 0)
    ph = struct.pack("<IIQQQQQQ", 1, 5, 0, base, base, size, size, 0x1000)
    return ehdr + ph + code


def layer_tar(variant):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data, mode in (("pause", pause_elf(), 0o755),
                                 ("variant", (variant + "\n").encode(), 0o644)):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def image(variant):
    """(blobs by digest, manifest bytes) of the variant's image."""
    layer = layer_tar(variant)
    config = canonical({
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": ["/pause"], "Labels": {"dev.bulwark.test.variant": variant}},
        "rootfs": {"type": "layers", "diff_ids": [digest(layer)]},
    })
    manifest = canonical({
        "schemaVersion": 2, "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": digest(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": digest(layer), "size": len(layer)}],
    })
    return {digest(config): config, digest(layer): layer}, manifest


INDEX_TYPE = "application/vnd.oci.image.index.v1+json"


def index(variants):
    """(manifests by digest with their blobs, index bytes): a multi-arch index of the variants,
    each under another platform (the first amd64, the next arm64...)."""
    platforms = ["amd64", "arm64", "ppc64le", "s390x"]
    entries, parts = [], []
    for i, variant in enumerate(variants):
        blobs, manifest = image(variant)
        parts.append((blobs, manifest))
        entries.append({"mediaType": MANIFEST_TYPE, "digest": digest(manifest),
                        "size": len(manifest),
                        "platform": {"architecture": platforms[i], "os": "linux"}})
    return parts, canonical({"schemaVersion": 2, "mediaType": INDEX_TYPE, "manifests": entries})


class Registry:
    def __init__(self, url):
        self.url = url.rstrip("/")
        self.headers = {}
        if os.environ.get("BULWARK_REGISTRY_AUTH"):
            token = base64.b64encode(os.environ["BULWARK_REGISTRY_AUTH"].encode()).decode()
            self.headers["Authorization"] = "Basic " + token
        self.context = None
        if os.environ.get("BULWARK_REGISTRY_CA"):
            self.context = ssl.create_default_context(cafile=os.environ["BULWARK_REGISTRY_CA"])

    def call(self, method, path, body=None, headers=None, full_url=None):
        request = urllib.request.Request(full_url or self.url + path, data=body, method=method,
                                         headers={**self.headers, **(headers or {})})
        with urllib.request.urlopen(request, context=self.context, timeout=30) as response:
            return response.status, dict(response.headers), response.read()

    def push_blob(self, repo, data):
        d = digest(data)
        try:
            self.call("HEAD", f"/v2/{repo}/blobs/{d}")
            return d
        except urllib.error.HTTPError as e:
            if e.code != 404:
                raise
        _, headers, _ = self.call("POST", f"/v2/{repo}/blobs/uploads/", b"")
        location = headers["Location"]
        if location.startswith("/"):
            location = self.url + location
        sep = "&" if "?" in location else "?"
        self.call("PUT", "", data, {"Content-Type": "application/octet-stream"},
                  full_url=f"{location}{sep}digest={d}")
        return d

    def push_manifest(self, repo, reference, manifest, media_type=MANIFEST_TYPE):
        self.call("PUT", f"/v2/{repo}/manifests/{reference}", manifest,
                  {"Content-Type": media_type})
        return digest(manifest)

    def get(self, path, accept=MANIFEST_TYPE):
        return self.call("GET", path, headers={"Accept": accept})[2]


def main(argv):
    if len(argv) == 2 and argv[0] == "digest":
        print(digest(image(argv[1])[1]))
    elif len(argv) >= 2 and argv[0] == "index-digest":
        print(digest(index(argv[1:])[1]))
    elif len(argv) == 5 and argv[0] == "push":
        url, repo, tag, variant = argv[1:]
        blobs, manifest = image(variant)
        r = Registry(url)
        for data in blobs.values():
            r.push_blob(repo, data)
        print(r.push_manifest(repo, tag, manifest))
    elif len(argv) >= 5 and argv[0] == "push-index":
        url, repo, tag = argv[1:4]
        parts, idx = index(argv[4:])
        r = Registry(url)
        for blobs, manifest in parts:
            for data in blobs.values():
                r.push_blob(repo, data)
            r.push_manifest(repo, digest(manifest), manifest)
        print(r.push_manifest(repo, tag, idx, INDEX_TYPE))
    elif len(argv) == 4 and argv[0] == "push-dir":
        url, repo, folder = argv[1:]
        r = Registry(url)
        for name in sorted(os.listdir(os.path.join(folder, "blobs"))):
            with open(os.path.join(folder, "blobs", name), "rb") as f:
                r.push_blob(repo, f.read())
        with open(os.path.join(folder, "manifest.json"), "rb") as f:
            manifest = f.read()
        with open(os.path.join(folder, "tag")) as f:
            tag = f.read().strip()
        media_type = json.loads(manifest).get("mediaType", MANIFEST_TYPE)
        print(r.push_manifest(repo, tag, manifest, media_type))
    elif len(argv) == 5 and argv[0] == "save":
        url, repo, reference, folder = argv[1:]
        r = Registry(url)
        manifest = r.get(f"/v2/{repo}/manifests/{reference}")
        os.makedirs(os.path.join(folder, "blobs"), exist_ok=True)
        with open(os.path.join(folder, "manifest.json"), "wb") as f:
            f.write(manifest)
        with open(os.path.join(folder, "tag"), "w") as f:
            f.write(reference + "\n")
        parsed = json.loads(manifest)
        for d in [parsed["config"]] + parsed["layers"]:
            data = r.get(f"/v2/{repo}/blobs/{d['digest']}", "*/*")
            with open(os.path.join(folder, "blobs", d["digest"].replace(":", "-")), "wb") as f:
                f.write(data)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
