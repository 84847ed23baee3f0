#!/usr/bin/env python3
"""A registry that misbehaves on purpose, one way per repository, for the registry client's bounds.

  /v2/huge/...        200 announcing a 10 GB body
  /v2/endless/...     200 with no length, sending 64 KiB pieces without end
  /v2/slow/...        200 with no length, one byte a second without end
  /v2/loop/...        302 to itself, forever
  /v2/html/...        200 text/html for a manifest
  /v2/downgrade/...   302 to plain HTTP on another host (REDIRECT_TO)
  /v2/biglayer/...    a manifest, and a signature manifest whose layer declares 100 MB
  /v2/bigblob/...     a manifest, a signature manifest declaring a small payload, and a blob of
                      100 MB served for it
usage: hostile_registry.py ADDR PORT REDIRECT_TO   (serves until killed)
"""
import hashlib
import http.server
import json
import sys
import time

MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                  "digest": "sha256:" + "0" * 64, "size": 2},
                       "layers": []}).encode()
DIGEST = hashlib.sha256(MANIFEST).hexdigest()


def signature_manifest(size):
    return json.dumps({"schemaVersion": 2, "layers": [{
        "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
        "digest": "sha256:" + "1" * 64, "size": size,
        "annotations": {"dev.cosignproject.cosign/signature": "c2ln"}}]}).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    redirect_to = ""

    def log_message(self, *args):
        pass

    def send(self, status, body, content_type="application/vnd.oci.image.manifest.v1+json",
             length=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def stream(self, piece, pause):
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            while True:
                self.wfile.write(piece)
                self.wfile.flush()
                time.sleep(pause)
        except OSError:
            pass  # the client gave up: what the test wants

    def do_GET(self):
        repo = self.path.split("/")[2] if self.path.count("/") >= 3 else ""
        sig = f"sha256-{DIGEST}.sig"
        if repo == "huge":
            return self.send(200, b"{}", length=10 ** 10)
        if repo == "endless":
            return self.stream(b" " * 65536, 0)
        if repo == "slow":
            return self.stream(b" ", 1)
        if repo in ("loop", "downgrade"):
            self.send_response(302)
            target = self.path if repo == "loop" else f"http://{self.redirect_to}{self.path}"
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if repo == "html":
            return self.send(200, b"<html>not a manifest</html>", "text/html")
        if repo in ("biglayer", "bigblob"):
            if self.path.endswith("/manifests/v1"):
                return self.send(200, MANIFEST)
            if self.path.endswith("/manifests/" + sig):
                return self.send(200, signature_manifest(10 ** 8 if repo == "biglayer" else 200))
            if "/blobs/" in self.path:
                return self.stream(b"x" * 65536, 0)
        return self.send(404, b"{}", "application/json")


def main():
    addr, port, redirect_to = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    Handler.redirect_to = redirect_to
    http.server.ThreadingHTTPServer((addr, port), Handler).serve_forever()


if __name__ == "__main__":
    main()
