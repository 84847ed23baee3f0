#!/usr/bin/env python3
"""What a hostile pod does to a server of the operator, from loopback source addresses of its own
(each 127.x address is a client apart, as each pod's address is), until it is stopped (SIGTERM).

  flood.py idle  PORT SOURCES PER_SOURCE   connections that send nothing, reopened when closed
  flood.py tls   PORT SOURCES PER_SOURCE   TLS connections kept alive with a small POST now and then
  flood.py dense PORT SOURCES PER_SOURCE   POSTs over TLS of a 4 MB AdmissionReview of 1,990,000
                                           zeros, again and again

SOURCES is a comma-separated list of addresses, or FIRST-LAST of 127.x addresses. It prints one
line "holding N" whenever the count of connections it holds open changes by 10% (idle, tls).
"""
import ipaddress
import resource
import selectors
import signal
import socket
import ssl
import sys
import threading
import time

stop = threading.Event()
held = 0
held_lock = threading.Lock()

REVIEW_HEAD = (b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u",'
               b'"kind":{"group":"apps","version":"v1","kind":"Deployment"},"operation":"CREATE",'
               b'"namespace":"adm","name":"web","object":{"apiVersion":"apps/v1","kind":"Deployment",'
               b'"metadata":{"name":"web"},"x":[')
REVIEW_TAIL = b']}}}'


def sources(text):
    if "-" in text:
        first, last = (ipaddress.ip_address(a) for a in text.split("-"))
        return [str(ipaddress.ip_address(int(first) + i)) for i in range(int(last) - int(first) + 1)]
    return text.split(",")


def connect(port, source):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s


def count(delta):
    global held
    with held_lock:
        held += delta


def post(conn, body):
    conn.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    return conn.recv(65536)


def hold(port, source, mode, body):
    """One connection slot: opened, held (or used), and reopened when the server closes it."""
    tls = ssl.create_default_context()
    tls.check_hostname = False
    tls.verify_mode = ssl.CERT_NONE
    while not stop.is_set():
        try:
            conn = connect(port, source)
        except OSError:
            stop.wait(0.2)
            continue
        counted = False
        try:
            if mode == "tls":
                conn = tls.wrap_socket(conn)
                count(1)
                counted = True
                while not stop.is_set() and post(conn, b'{"apiVersion":"v1"}'):
                    stop.wait(3)
            else:
                conn.settimeout(30)
                conn = tls.wrap_socket(conn)
                while not stop.is_set() and post(conn, body):
                    pass
        except (OSError, ssl.SSLError):
            pass
        finally:
            if counted:
                count(-1)
            conn.close()
        # Reconnects at 2 Hz a slot: the attack is on slots and bytes, not the CPU of a 2-core
        # test machine (a connect flood is the kernel's and the network's to bound).
        stop.wait(0.5)


def hold_idle(port, slots):
    """Every slot a connection that sends nothing, reopened half a second after the server closes
    it: one thread and a selector, so a thousand slots are open within a second or two."""
    sel = selectors.DefaultSelector()
    due = [(0.0, source) for source in slots]  # when each closed slot may connect again
    while not stop.is_set():
        now, waiting = time.monotonic(), []
        for at, source in due:
            try:
                if at > now:
                    raise BlockingIOError
                conn = connect(port, source)
                conn.setblocking(False)
                sel.register(conn, selectors.EVENT_READ, source)
                count(1)
            except OSError:
                waiting.append((at if at > now else now + 0.5, source))
        due = waiting
        for key, _ in sel.select(timeout=0.1):
            try:
                data = key.fileobj.recv(1)
            except OSError:
                data = b""
            if not data:
                sel.unregister(key.fileobj)
                key.fileobj.close()
                count(-1)
                due.append((time.monotonic() + 0.5, key.data))


def main():
    mode, port, addresses, per_source = sys.argv[1], int(sys.argv[2]), sources(sys.argv[3]), int(sys.argv[4])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    body = REVIEW_HEAD + b",".join([b"0"] * 1990000) + REVIEW_TAIL if mode == "dense" else b""
    if mode == "idle":
        slots = [a for a in addresses for _ in range(per_source)]
        threads = [threading.Thread(target=hold_idle, args=(port, slots), daemon=True)]
    else:
        threads = [threading.Thread(target=hold, args=(port, a, mode, body), daemon=True)
                   for a in addresses for _ in range(per_source)]
    for t in threads:
        t.start()
    said = -1
    while not stop.is_set():
        with held_lock:
            now = held
        if said < 0 or abs(now - said) * 10 > max(said, 1):
            print(f"holding {now}", flush=True)
            said = now
        stop.wait(0.5)


if __name__ == "__main__":
    main()
