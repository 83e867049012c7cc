#!/usr/bin/env python3
"""Holds N idle keep-alive HTTP/1.1 connections to a server.

Each connection sends one request and reads its whole answer (so the server has served it and
parked the connection), then stays open and silent. Prints "ready <open>" once every connection
has had its answer, then "open <n>" every few seconds (connections the server closed are not
reopened), and exits on SIGTERM/SIGINT.

Usage: idle_conns.py HOST PORT N [PATH]     (PATH default /health)
"""
import resource
import selectors
import signal
import socket
import sys
import time

BATCH = 200  # connections opening at once: a burst of 10 000 SYNs overflows the backlog


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def answered(buf):
    """Whether buf holds one complete response with a Content-Length body."""
    head_end = buf.find(b"\r\n\r\n")
    if head_end < 0:
        return False
    length = 0
    for line in buf[:head_end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return len(buf) >= head_end + 4 + length


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    host, port, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    path = sys.argv[4] if len(sys.argv) > 4 else "/health"
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    raise_fd_limit()
    stop = False

    def on_signal(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    sel = selectors.DefaultSelector()
    idle = []
    failed = 0
    started = time.monotonic()
    while len(idle) + failed < total and not stop:
        pending = {}
        for _ in range(min(BATCH, total - len(idle) - failed)):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.connect((host, port))
                s.sendall(request)
            except OSError:
                s.close()
                failed += 1
                continue
            s.setblocking(False)
            pending[s] = b""
            sel.register(s, selectors.EVENT_READ)
        deadline = time.monotonic() + 30
        while pending and time.monotonic() < deadline and not stop:
            for key, _ in sel.select(timeout=1):
                s = key.fileobj
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    sel.unregister(s)
                    s.close()
                    del pending[s]
                    failed += 1
                    continue
                pending[s] += data
                if answered(pending[s]):
                    sel.unregister(s)
                    del pending[s]
                    idle.append(s)
        for s in pending:
            sel.unregister(s)
            s.close()
            failed += 1
    print(f"ready {len(idle)} (failed {failed}, {time.monotonic() - started:.1f} s)", flush=True)

    # Watch for connections the server closes.
    for s in idle:
        sel.register(s, selectors.EVENT_READ)
    open_count = len(idle)
    last_report = time.monotonic()
    while not stop:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                sel.unregister(s)
                s.close()
                open_count -= 1
        if time.monotonic() - last_report >= 5:
            print(f"open {open_count}", flush=True)
            last_report = time.monotonic()
    for key in list(sel.get_map().values()):
        key.fileobj.close()


if __name__ == "__main__":
    main()
