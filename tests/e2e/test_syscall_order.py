"""Syscall order (RELIABILITY.md #31), watched with strace on the running
daemon: for one SMTP DATA, the fsync of the queue file, its rename into
active/ and the fsync of active/ all end before the "250" reply is
written; for the queued Maildir delivery of the same message, the fsync of
the file, its link (or rename) into new/ and the fsync of new/ all end
before the recipient is crossed off in the queue file."""

import os
import re
import shutil
import signal
import subprocess
import threading

import pytest

from conftest import RawSMTP, wait_until

pytestmark = pytest.mark.skipif(not shutil.which("strace"), reason="needs strace")

CALLS = "fsync,fdatasync,write,writev,sendmsg,sendto,pwrite64,rename,renameat,renameat2,link,linkat"
LINE = re.compile(r"^(\d+)\s+(?:(\w+)\((.*)|<\.\.\. (\w+) resumed>(.*))$")


def events(trace):
    """(end, start, syscall, arguments+result, result) per completed call,
    in the order the calls ended; start and end are line numbers in the
    trace, so "A ended before B started" is a.end < b.start even across
    threads (an unfinished call is joined with its resumption)."""
    pending, out = {}, []
    for n, line in enumerate(trace.splitlines()):
        m = LINE.match(line)
        if not m:
            continue
        pid = m.group(1)
        if m.group(2):
            name, rest, start = m.group(2), m.group(3), n
            if rest.endswith("<unfinished ...>"):
                pending[pid] = (name, rest[:-len("<unfinished ...>")], n)
                continue
        else:
            name, rest0, start = pending.pop(pid, (m.group(4), "", n))
            rest = rest0 + m.group(5)
        result = rest.rsplit("= ", 1)[-1].split()[0] if "= " in rest else "?"
        out.append((n, start, name, rest, result))
    return out


def first(evs, what, pred):
    for e in evs:
        if pred(e):
            return e
    raise AssertionError(f"no {what} in the trace")


def in_order(*calls):
    """Each call ended before the next one started."""
    return all(a[0] < b[1] for a, b in zip(calls, calls[1:]))


def test_fsyncs_precede_250_and_cross_off(make_tern, workdir):
    t = make_tern({"message_size_limit": "10m"})
    out = os.path.join(workdir, "strace.out")
    tracer = subprocess.Popen(["strace", "-f", "-y", "-s", "80", "-e", f"trace={CALLS}", "-o", out,
                               "-p", str(t.proc.pid)], stderr=subprocess.PIPE, text=True)
    said = []
    threading.Thread(target=lambda: said.extend(tracer.stderr), daemon=True).start()
    # "strace: Process N attached with M threads": every thread is traced.
    all_attached = lambda: any("attached" in line for line in said)  # noqa: E731
    wait_until(all_attached, what="strace attached to every thread")
    # Over the 1 MiB in-memory limit, so the message gets a queue file and
    # is delivered by the scheduler, not at acceptance.
    c = RawSMTP.at_data(t.port)
    c.send(b"Subject: traced\r\n\r\n" + (b"z" * 998 + b"\r\n") * 1100 + b".\r\n")
    code, text = c.reply()
    assert code == 250, text
    qid = re.search(r"queued as (\w+)", text).group(1)
    t.wait_for_mail("alice@virt.test")
    t.wait_queue_empty()
    tracer.send_signal(signal.SIGINT)
    tracer.wait(timeout=30)
    evs = events(open(out).read())

    ok = lambda e: e[4] == "0"  # noqa: E731
    active = os.path.join(t.queue, "active")
    # SMTP DATA: file fsynced, renamed into active/, active/ fsynced, then 250.
    file_sync = first(evs, "fsync of the queue file",
                      lambda e: e[2] in ("fsync", "fdatasync") and f"/tmp/{qid}>" in e[3] and ok(e))
    renamed = first(evs, "rename into active/",
                    lambda e: e[2].startswith("rename") and f"active/{qid}" in e[3] and ok(e))
    dir_sync = first(evs, "fsync of active/",
                     lambda e: e[2] in ("fsync", "fdatasync") and f"<{active}>" in e[3] and ok(e) and e[0] > renamed[0])
    reply = first(evs, "the 250 reply", lambda e: f"250 2.0.0 Ok: queued as {qid}" in e[3])
    assert in_order(file_sync, renamed, dir_sync, reply), (file_sync, renamed, dir_sync, reply)

    # Queued delivery: Maildir file fsynced, linked into new/, new/ fsynced,
    # then the cross-off (the 'D' written over 'R' in active/ID).
    maildir = t.maildir_path("alice@virt.test")
    new = os.path.join(maildir, "new")
    # (an unnamed O_TMPFILE in new/, or tmp/NAME where that is missing)
    md_file_sync = first(evs, "fsync of the Maildir file",
                         lambda e: e[2] in ("fsync", "fdatasync") and f"<{maildir}/" in e[3]
                         and f"<{new}>" not in e[3] and ok(e))
    linked = first(evs, "link into new/", lambda e: e[2] in ("linkat", "link", "renameat2", "rename", "renameat")
                   and f"<{new}>" in e[3] and ok(e) and e[0] > md_file_sync[0])
    new_sync = first(evs, "fsync of new/",
                     lambda e: e[2] in ("fsync", "fdatasync") and f"<{new}>" in e[3] and ok(e) and e[0] > linked[0])
    cross_off = first(evs, "the cross-off", lambda e: e[2] == "pwrite64" and f"active/{qid}>" in e[3]
                      and '"D"' in e[3])
    assert in_order(md_file_sync, linked, new_sync, cross_off), (md_file_sync, linked, new_sync, cross_off)
