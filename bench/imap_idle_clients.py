#!/usr/bin/env python3
"""Opens N IMAP sessions to one server, each LOGIN, SELECT INBOX, IDLE,
then reports what the server's processes use (PSS, from
/proc/PID/smaps_rollup, summed over the process tree of --pid) before and
with them all idling; then runs --deliver (a shell command that puts one
message in the user's INBOX) and waits until every session has been told
"* n EXISTS", reporting how long the last one took. Sessions use source
addresses 127.0.0.2 and up (28,000 each) so tens of thousands fit, from
one client process per 15,000 (--per-process), each with its own open
file limit.

Used by bench/imap_idle.sh; prints one line of key=value pairs."""
import argparse
import asyncio
import multiprocessing
import os
import resource
import subprocess
import sys
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


async def read_until(reader, pred, what):
    """Reads lines until one satisfies pred."""
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError(f"closed before {what}")
        if pred(line):
            return line


async def idle_session(args, i, ready, pushed, leave):
    src = f"127.0.0.{2 + i // 28000}"
    reader, writer = await asyncio.open_connection(args.host, args.port, local_addr=(src, 0), limit=1 << 16)
    await reader.readline()
    writer.write(f"a LOGIN {args.user} {args.password}\r\nb SELECT INBOX\r\nc IDLE\r\n".encode())
    for tag in (b"a ", b"b "):  # a refused LOGIN or SELECT ends the run instead of hanging it
        reply = await read_until(reader, lambda l: l.startswith(tag), tag.decode() + "reply")
        if not reply.startswith(tag + b"OK"):
            raise ConnectionError(f"session {i}: {reply.decode(errors='replace').strip()}")
    await read_until(reader, lambda l: l.startswith(b"+"), "IDLE's continuation")
    ready.append(i)
    await read_until(reader, lambda l: l.startswith(b"* ") and l.rstrip().endswith(b" EXISTS"), "EXISTS")
    pushed.append(time.monotonic())
    await leave.wait()  # the measurement is of the push: nobody logs out before everyone heard
    writer.write(b"DONE\r\nd LOGOUT\r\n")
    try:
        await asyncio.wait_for(read_until(reader, lambda l: l.startswith(b"d "), "LOGOUT"), 30)
    except (ConnectionError, asyncio.TimeoutError):
        pass
    writer.close()


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, want)), hard))


async def client_part(args, lo, hi, batch, conn):
    """Sessions lo..hi-1 in this process: tells the parent "ready", waits
    for its "go" (sent just before the delivery), then sends the times
    (CLOCK_MONOTONIC, the same in every process) each session heard of the
    new mail."""
    raise_nofile(hi - lo + 1000)
    ready, pushed, tasks = [], [], []
    leave = asyncio.Event()
    try:
        for start in range(lo, hi, batch):  # connect in batches: no SYN flood
            for i in range(start, min(hi, start + batch)):
                tasks.append(asyncio.create_task(idle_session(args, i, ready, pushed, leave)))
            while len(ready) < min(hi, start + batch) - lo:
                failed = [t for t in tasks if t.done() and t.exception()]
                if failed:
                    raise failed[0].exception()
                await asyncio.sleep(0.05)
    except Exception as e:  # noqa: BLE001 - reported to the parent, which stops the run
        conn.send(("error", f"{type(e).__name__}: {e}"))
        return
    conn.send(("ready", len(ready)))
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "go"
    t0 = time.monotonic()
    while len(pushed) < hi - lo and time.monotonic() - t0 < args.timeout:
        await asyncio.sleep(0.01)
    conn.send(("pushed", list(pushed)))
    leave.set()
    await asyncio.gather(*tasks, return_exceptions=True)


def run_part(args, lo, hi, batch, conn):
    asyncio.run(client_part(args, lo, hi, batch, conn))


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
        p = ctx.Process(target=run_part, args=(args, lo, hi, batch, child_end), daemon=True)
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
    for _, conn in parts:
        conn.send("go")
    t0 = time.monotonic()
    subprocess.run(args.deliver, shell=True, check=True)
    pushed = []
    for p, conn in parts:
        kind, value = conn.recv()
        pushed += value
        p.join()
    last = (max(pushed) - t0) if pushed else float("nan")
    delays = sorted(p - t0 for p in pushed)
    p50 = delays[len(delays) // 2] if delays else float("nan")
    p99 = delays[min(len(delays) - 1, len(delays) * 99 // 100)] if delays else float("nan")
    per = (idle - base) / args.sessions
    print(f"sessions={args.sessions} client_processes={procs} setup_s={setup_s:.1f} pss_before_kib={base} "
          f"pss_idle_kib={idle} kib_per_session={per:.1f} pushed={len(pushed)} p50_push_s={p50:.3f} "
          f"p99_push_s={p99:.3f} last_push_s={last:.3f}")


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
    ap.add_argument("--per-process", type=int, default=15000,
                    help="sessions per client process (each needs a descriptor per session)")
    sys.exit(main(ap.parse_args()))
