#!/usr/bin/env python3
"""For bench/imap.sh: the latency one more user sees while imaptest loads
the server. It logs in as its own account (none of imaptest's), appends
MESSAGES messages to its INBOX, selects it, then until SIGTERM sends one
command every INTERVAL seconds, in turn a FETCH of every message's flags,
size and envelope (a client listing a folder), a NOOP and a UID SEARCH,
and times each from the first byte sent to its tagged reply. At the end it
writes {"n": ..., "p50_ms": ..., "p90_ms": ..., "p99_ms": ..., "max_ms": ...}
to OUT. It waits for the server to come up (the reference Dovecot starts
after it) and sets up again if the server goes away; only commands after
its own setup are counted.

  imap_latency_probe.py HOST PORT USER PASSWORD OUT
"""

import json
import os
import signal
import socket
import sys
import time

MESSAGES = 20
INTERVAL = 0.02


class Imap:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=60)
        self.buf = b""
        self.n = 0
        self.line()  # greeting

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def command(self, text, literal=None):
        self.n += 1
        tag = f"p{self.n}".encode()
        if literal is None:
            self.sock.sendall(tag + b" " + text.encode() + b"\r\n")
        else:
            self.sock.sendall(tag + b" " + text.encode() + f" {{{len(literal)}+}}\r\n".encode() + literal + b"\r\n")
        while True:
            line = self.line()
            m = line.find(b"{")
            if line.endswith(b"}") and m >= 0 and line[m + 1:-1].isdigit():
                need = int(line[m + 1:-1])
                while len(self.buf) < need:
                    chunk = self.sock.recv(65536)
                    if not chunk:
                        raise ConnectionError("closed")
                    self.buf += chunk
                self.buf = self.buf[need:]
                continue
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise RuntimeError(line.decode(errors="replace"))
                return


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


def main():
    host, port, user, password, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    latencies = []
    slow_log = open(os.environ["PROBE_SLOW_LOG"], "a") if os.environ.get("PROBE_SLOW_LOG") else None
    deadline = time.monotonic() + 180
    # Set up, then measure; a server that went away (the reference Dovecot
    # wipes its mail right after it starts) means setting up again.
    while not stop and time.monotonic() < deadline:
        try:
            imap = Imap(host, port)
            imap.command(f'LOGIN "{user}" "{password}"')
            imap.command("SELECT INBOX")
            imap.command("UID STORE 1:* +FLAGS.SILENT (\\Deleted)")
            imap.command("EXPUNGE")
            for i in range(MESSAGES):
                msg = (f"From: Probe <probe@example.org>\r\nTo: {user}\r\nSubject: probe {i}\r\n"
                       f"Message-ID: <probe.{i}.{time.time()}@example.org>\r\n\r\n" + "line of text\r\n" * 40).encode()
                imap.command("APPEND INBOX", msg)
            imap.command("NOOP")
            commands = ["FETCH 1:* (FLAGS RFC822.SIZE ENVELOPE)", "NOOP", "UID SEARCH ALL"]
            i = 0
            while not stop:
                start = time.perf_counter()
                imap.command(commands[i % len(commands)])
                latencies.append((time.perf_counter() - start) * 1000)
                if slow_log and latencies[-1] > 2:
                    slow_log.write(f"{time.monotonic():.4f} {latencies[-1]:.2f} {commands[i % len(commands)]}\n")
                i += 1
                time.sleep(INTERVAL)
        except (OSError, ConnectionError, RuntimeError):
            time.sleep(0.2)
    latencies.sort()
    result = {"n": len(latencies)}
    for name, p in (("p50_ms", 50), ("p90_ms", 90), ("p99_ms", 99)):
        v = percentile(latencies, p)
        result[name] = round(v, 2) if v is not None else None
    result["max_ms"] = round(latencies[-1], 2) if latencies else None
    with open(out, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
