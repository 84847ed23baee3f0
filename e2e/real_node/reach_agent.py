#!/usr/bin/env python3
"""One pod's end of e2e.real_node_reachability, run in the pod's network namespace (nsenter).

  reach_agent.py listen IP PROTO:PORT...  answers on each port of the pod's address: TCP with a
                                          line "ok", UDP by echoing "ok " and the datagram; prints
                                          "ready" once every port is bound, then serves until killed
  reach_agent.py probe                    reads [{"ip", "port", "protocol"}, ...] (JSON) on stdin and
                                          prints each with "seen": through, refused, timeout or
                                          unanswered (a connection made, no "ok": proves nothing)

kube-router rejects what a policy blocks (ICMP port unreachable), so a blocked port reads refused;
every probed port has a listener, so refused never means closed. UDP is tried three times: one
lost datagram is no verdict.
"""
import json
import socket
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

TIMEOUT = 1.5


def serve_tcp(sock):
    while True:
        conn, _ = sock.accept()
        try:
            conn.sendall(b"ok\n")
        except OSError:
            pass
        conn.close()


def serve_udp(sock):
    while True:
        data, peer = sock.recvfrom(512)
        try:
            sock.sendto(b"ok " + data[:64], peer)
        except OSError:
            pass


def listen(ip, specs):
    threads = []
    for spec in specs:
        proto, port = spec.split(":")
        kind = socket.SOCK_STREAM if proto == "TCP" else socket.SOCK_DGRAM
        sock = socket.socket(socket.AF_INET, kind)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((ip, int(port)))
        if proto == "TCP":
            sock.listen(64)
        target = serve_tcp if proto == "TCP" else serve_udp
        threads.append(threading.Thread(target=target, args=(sock,), daemon=True))
    for t in threads:
        t.start()
    print("ready", flush=True)
    threading.Event().wait()


def probe_tcp(ip, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(TIMEOUT)
    try:
        sock.connect((ip, port))
        data = sock.recv(16)
        return "through" if data.startswith(b"ok") else "unanswered"
    except ConnectionRefusedError:
        return "refused"
    except socket.timeout:
        return "timeout"
    except OSError as e:
        return "error " + e.strerror if e.strerror else "error"
    finally:
        sock.close()


def probe_udp(ip, port):
    seen = "timeout"
    for attempt in range(3):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(TIMEOUT / 2)
        try:
            sock.connect((ip, port))
            sock.send(b"probe %d" % attempt)
            if sock.recv(128).startswith(b"ok"):
                return "through"
        except ConnectionRefusedError:
            seen = "refused"
        except socket.timeout:
            pass
        finally:
            sock.close()
    return seen


def probe():
    targets = json.load(sys.stdin)

    def one(t):
        fn = probe_tcp if t["protocol"] == "TCP" else probe_udp
        return dict(t, seen=fn(t["ip"], int(t["port"])))

    with ThreadPoolExecutor(max_workers=32) as pool:
        json.dump(list(pool.map(one, targets)), sys.stdout)


if __name__ == "__main__":
    if sys.argv[1] == "listen":
        listen(sys.argv[2], sys.argv[3:])
    else:
        probe()
