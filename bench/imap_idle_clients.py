#!/usr/bin/env python3
"""Opens N IMAP sessions to one server, each LOGIN, SELECT INBOX, IDLE,
then reports what the server's processes use (PSS, from
/proc/PID/smaps_rollup, summed over the process tree of --pid) before and
with them all idling; then runs --deliver (a shell command that puts one
message in the user's INBOX) and waits until every session has been told
"* n EXISTS", reporting how long the last one took: until the word reached
its socket (the kernel's receive stamp), and, as last_read_s, until this
client got round to reading it. Times count from the
start of --deliver (which, for an SMTP delivery, includes starting a Python
client, the SMTP transaction, the queue's fsync and the delivery itself);
with --maildir, also from the moment the message landed in the folder's
new/ (an inotify watch): the push alone. Sessions use source
addresses 127.0.0.2 and up (28,000 each) so tens of thousands fit, from
one client process per 15,000 (--per-process), each with its own open
file limit.

Used by bench/imap_idle.sh; prints one line of key=value pairs."""
import argparse
import ctypes
import ctypes.util
import multiprocessing
import os
import resource
import select
import socket
import struct
import subprocess
import sys
import threading
import time


def tree(root):
    """root and every process below it."""
    children = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(p))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


class Landing:
    """When the first file lands in a folder (IN_CREATE or IN_MOVED_TO on
    DIR): a thread blocked on an inotify descriptor notes time.monotonic()
    as the kernel wakes it, so the delivering command's own time is not
    counted as the push's."""

    IN_MOVED_TO, IN_CREATE = 0x80, 0x100

    def __init__(self, folder):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self.fd = libc.inotify_init1(os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        if libc.inotify_add_watch(self.fd, folder.encode(), self.IN_MOVED_TO | self.IN_CREATE) < 0:
            raise OSError(ctypes.get_errno(), f"inotify_add_watch {folder}")
        self.at = None
        self.thread = threading.Thread(target=self._wait, daemon=True)
        self.thread.start()

    def _wait(self):
        # Real-time priority (root only), so that the push's own load on
        # both cores does not delay this thread's wake-up, and with it the
        # stamp (under SCHED_OTHER it came up to 18 ms late at 1,000
        # sessions, after the first sessions had been told).
        try:
            os.sched_setscheduler(threading.get_native_id(), os.SCHED_FIFO, os.sched_param(10))
        except OSError:
            pass
        os.read(self.fd, 4096)
        self.at = time.monotonic()

    def when(self, timeout=60):
        self.thread.join(timeout)
        os.close(self.fd)
        return self.at


def cpu_s(pids):
    """User and system CPU seconds the processes have used (all threads)."""
    hz = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / hz


def pss_kib(root):
    total = 0
    for p in tree(root):
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


# The kernel stamps each segment with the time it reached the socket
# (CLOCK_REALTIME, given with recvmsg): with thousands of sessions told at
# once, the client reads some of them long after they arrived, since the
# server's threads and it share two cores; the stamp is when the server's
# word was there, which is what the push is measured by.
SO_TIMESTAMPNS = 35  # Linux; socket.SO_TIMESTAMPNS is missing from Python 3.11
CMSG_TIMESPEC = socket.CMSG_SPACE(16)


def arrival_monotonic(ancdata, realtime_to_monotonic):
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
            sec, nsec = struct.unpack("qq", data[:16])
            return sec + nsec / 1e9 + realtime_to_monotonic
    return None


class Session:
    """One IMAP session as a little state machine over a non-blocking
    socket: banner, then LOGIN, SELECT and IDLE sent at once, then their
    replies, then the wait for EXISTS."""

    def __init__(self, args, i):
        self.i = i
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.bind((f"127.0.0.{2 + i // 28000}", 0))
        self.sock.setblocking(False)
        self.sock.connect_ex((args.host, args.port))
        self.buf = b""
        self.want = "banner"  # banner, a, b, +, EXISTS, done
        self.login = f"a LOGIN {args.user} {args.password}\r\nb SELECT INBOX\r\nc IDLE\r\n".encode()

    def feed(self, data):
        """Consumes data; returns the states it reached, in order."""
        self.buf += data
        reached = []
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            if self.want == "banner":
                self.sock.sendall(self.login)
                self.want = "a"
            elif self.want in ("a", "b") and line.startswith(self.want.encode() + b" "):
                if not line.startswith(self.want.encode() + b" OK"):
                    raise ConnectionError(f"session {self.i}: {line.decode(errors='replace').strip()}")
                self.want = "b" if self.want == "a" else "+"
            elif self.want == "+" and line.startswith(b"+"):
                self.want = "EXISTS"
                reached.append("ready")
            elif self.want == "EXISTS" and line.startswith(b"* ") and line.rstrip().endswith(b" EXISTS"):
                reached.append("pushed")  # one per message delivered (--rounds)
        return reached


def client_part(args, lo, hi, batch, conn):
    """Sessions lo..hi-1 in this process: tells the parent "ready", waits
    for its "go" (sent just before the delivery), then sends, for each
    session, when the new mail reached its socket (the kernel's stamp) and
    when this process read it (both CLOCK_MONOTONIC, the same in every
    process). A plain epoll loop rather than asyncio's streams: with tens of
    thousands of sessions told at once, the client's own cost per wakeup
    must stay well below the server's, or the run measures the client."""
    raise_nofile(hi - lo + 1000)
    ep = select.epoll()
    sessions = {}
    ready, pushed = 0, []

    realtime_to_monotonic = time.monotonic() - time.time()

    def pump(timeout):
        nonlocal ready
        for fd, ev in ep.poll(timeout):
            s = sessions[fd]
            try:
                data, ancdata, _, _ = s.sock.recvmsg(65536, CMSG_TIMESPEC)
            except BlockingIOError:
                continue
            if not data:
                raise ConnectionError(f"session {s.i}: closed while waiting for {s.want}")
            for what in s.feed(data):
                if what == "ready":
                    ready += 1
                else:
                    read = time.monotonic()
                    arrived = arrival_monotonic(ancdata, realtime_to_monotonic)
                    pushed.append((arrived if arrived is not None else read, read))

    try:
        for start in range(lo, hi, batch):  # connect in batches: no SYN flood
            for i in range(start, min(hi, start + batch)):
                s = Session(args, i)
                sessions[s.sock.fileno()] = s
                ep.register(s.sock.fileno(), select.EPOLLIN)
            t0 = time.monotonic()
            while ready < min(hi, start + batch) - lo:
                if time.monotonic() - t0 > args.timeout:
                    raise TimeoutError(f"{min(hi, start + batch) - lo - ready} sessions not idling after {args.timeout} s")
                pump(0.05)
    except Exception as e:  # noqa: BLE001 - reported to the parent, which stops the run
        conn.send(("error", f"{type(e).__name__}: {e}"))
        return
    conn.send(("ready", ready))
    for _ in range(args.rounds):
        conn.recv()  # "go"
        pushed.clear()
        t0 = time.monotonic()
        while len(pushed) < hi - lo and time.monotonic() - t0 < args.timeout:
            pump(0.01)
        conn.send(("pushed", list(pushed)))
    # The measurement is of the push: nobody logs out before everyone heard.
    for s in sessions.values():
        try:
            s.sock.sendall(b"DONE\r\nd LOGOUT\r\n")
        except OSError:
            pass
    for s in sessions.values():
        s.sock.close()


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, want)), hard))


def main(args):
    # One client process per --per-process sessions: each has its own open
    # file limit, as the server's IMAP processes have (imap_processes).
    procs = max(1, -(-args.sessions // args.per_process))
    batch = max(1, args.batch // procs)
    base = pss_kib(args.pid)
    sem_start = time.monotonic()
    parts = []
    ctx = multiprocessing.get_context("fork")
    for k in range(procs):
        lo, hi = args.sessions * k // procs, args.sessions * (k + 1) // procs
        parent_end, child_end = ctx.Pipe()
        p = ctx.Process(target=client_part, args=(args, lo, hi, batch, child_end), daemon=True)
        p.start()
        parts.append((p, parent_end))
    for p, conn in parts:
        kind, value = conn.recv()
        if kind == "error":
            for q, _ in parts:
                q.terminate()
            raise SystemExit(f"client: {value}")
    setup_s = time.monotonic() - sem_start
    time.sleep(2)  # let the server settle (buffers shrink, allocator returns)
    idle = pss_kib(args.pid)
    servers, clients = tree(args.pid), [p.pid for p, _ in parts]
    rounds = []
    for _ in range(args.rounds):
        server_cpu, client_cpu = cpu_s(servers), cpu_s(clients)
        for _, conn in parts:
            conn.send("go")
        landing = Landing(os.path.join(args.maildir, "new")) if args.maildir else None
        t0 = time.monotonic()
        subprocess.run(args.deliver, shell=True, check=True)
        pushed = []
        for p, conn in parts:
            kind, value = conn.recv()
            pushed += value
        landed = landing.when() if landing else None
        # What the push cost each side, up to when the last client part was
        # told (the server's includes the delivery of the message).
        server_cpu, client_cpu = cpu_s(servers) - server_cpu, cpu_s(clients) - client_cpu
        delays = sorted(arrived - t0 for arrived, _ in pushed)
        last_read = max((read - t0 for _, read in pushed), default=float("nan"))
        nan = float("nan")
        landed_s = landed - t0 if landed is not None else nan
        rounds.append({"pushed": len(pushed), "t0": t0, "server_cpu": server_cpu, "client_cpu": client_cpu,
                       "last": delays[-1] if delays else nan, "p50": delays[len(delays) // 2] if delays else nan,
                       "p99": delays[min(len(delays) - 1, len(delays) * 99 // 100)] if delays else nan,
                       "landed": landed_s, "last_read": last_read,
                       "after_landed": delays[-1] - landed_s if delays else nan})
        if len(pushed) < args.sessions:
            break
        time.sleep(1)
    for p, _ in parts:
        p.join()
    per = (idle - base) / args.sessions
    r = rounds[0]
    print(f"sessions={args.sessions} client_processes={procs} setup_s={setup_s:.1f} pss_before_kib={base} "
          f"pss_idle_kib={idle} kib_per_session={per:.1f} pushed={r['pushed']} p50_push_s={r['p50']:.3f} "
          f"p99_push_s={r['p99']:.3f} last_push_s={r['last']:.3f} server_cpu_s={r['server_cpu']:.2f} "
          f"client_cpu_s={r['client_cpu']:.2f} delivered_at_monotonic={r['t0']:.3f} landed_s={r['landed']:.3f} "
          f"push_after_landing_s={r['after_landed']:.3f} last_read_s={r['last_read']:.3f}")
    for k, r in enumerate(rounds[1:], 2):
        print(f"round={k} pushed={r['pushed']} p50_push_s={r['p50']:.3f} p99_push_s={r['p99']:.3f} "
              f"last_push_s={r['last']:.3f} server_cpu_s={r['server_cpu']:.2f} client_cpu_s={r['client_cpu']:.2f} "
              f"delivered_at_monotonic={r['t0']:.3f} landed_s={r['landed']:.3f} "
              f"push_after_landing_s={r['after_landed']:.3f} last_read_s={r['last_read']:.3f}", file=sys.stderr)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--pid", type=int, required=True, help="the server's master process")
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--deliver", required=True)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--maildir", help="the INBOX Maildir: times are also given from when the message lands in its new/")
    ap.add_argument("--rounds", type=int, default=1,
                    help="messages delivered one after the other; rounds after the first go to stderr (profiling)")
    ap.add_argument("--per-process", type=int, default=15000,
                    help="sessions per client process (each needs a descriptor per session)")
    sys.exit(main(ap.parse_args()))
