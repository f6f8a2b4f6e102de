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


def trace_imap(make_tern, workdir, params, session):
    """Runs session(imaplib client) against a traced tern with IMAP; returns
    (tern, events)."""
    from imap_account import connect
    from conftest import free_port
    port = free_port()
    t = make_tern({"imap_listen": f"127.0.0.1:{port}", **params})
    t.imap_port = port
    c = connect(t)  # logged in (and the folder made) before the trace
    c.select("INBOX")
    out = os.path.join(workdir, "strace-imap.out")
    tracer = subprocess.Popen(["strace", "-f", "-y", "-s", "80", "-e", f"trace={CALLS},unlink,unlinkat", "-o", out,
                               "-p", str(t.proc.pid)], stderr=subprocess.PIPE, text=True)
    said = []
    threading.Thread(target=lambda: said.extend(tracer.stderr), daemon=True).start()
    wait_until(lambda: any("attached" in line for line in said), what="strace attached to every thread")
    session(c)
    c.logout()
    tracer.send_signal(signal.SIGINT)
    tracer.wait(timeout=30)
    return t, events(open(out).read())


@pytest.mark.parametrize("mode", ["optimized", "always"])
def test_imap_append_is_durable_before_ok_and_expunge_per_mail_fsync(make_tern, workdir, mode):
    """APPEND: the file fsynced (an unnamed O_TMPFILE of cur/, or a file of
    tmp/), linked or renamed into cur/, cur/ fsynced and the
    UID record (dovecot-uidlist) fdatasynced, all before the tagged OK,
    whatever mail_fsync says. EXPUNGE: with mail_fsync = always, cur/ is
    fsynced after the unlink and before the OK; with optimized (Dovecot's
    default), no fsync at all between the unlink and the OK."""
    def session(c):
        ok_append = c.append("INBOX", None, None, b"Subject: traced append\r\n\r\nbody\r\n")
        assert ok_append[0] == "OK", ok_append
        c.store("1", "+FLAGS", "\\Deleted")
        assert c.expunge()[0] == "OK"

    t, evs = trace_imap(make_tern, workdir, {"mail_fsync": mode}, session)
    maildir = t.maildir_path("alice@virt.test")
    cur = os.path.join(maildir, "cur")
    ok = lambda e: e[4] == "0"  # noqa: E731
    syncs = lambda e: e[2] in ("fsync", "fdatasync") and ok(e)  # noqa: E731
    # strace -y names an unnamed file "<.../cur/#INODE (deleted)>".
    file_sync = first(evs, "fsync of the APPENDed file",
                      lambda e: syncs(e) and (f"<{maildir}/tmp/" in e[3] or f"<{cur}/#" in e[3]))
    renamed = first(evs, "link or rename into cur/",
                    lambda e: (e[2].startswith("rename") or e[2] == "linkat") and f"<{cur}>" in e[3] and ok(e)
                    and e[0] > file_sync[0])
    cur_sync = first(evs, "fsync of cur/", lambda e: syncs(e) and f"<{cur}>" in e[3] and e[0] > renamed[0])
    uid_sync = first(evs, "fdatasync of dovecot-uidlist",
                     lambda e: syncs(e) and "dovecot-uidlist>" in e[3] and e[0] > renamed[0])
    append_ok = first(evs, "APPEND's OK", lambda e: "OK [APPENDUID" in e[3])
    assert in_order(file_sync, renamed, cur_sync, append_ok), (file_sync, renamed, cur_sync, append_ok)
    assert in_order(renamed, uid_sync, append_ok), (renamed, uid_sync, append_ok)

    unlinked = first(evs, "the expunge's unlink",
                     lambda e: e[2].startswith("unlink") and f"<{cur}>" in e[3] and ok(e))
    expunge_ok = first(evs, "EXPUNGE's OK", lambda e: e[0] > unlinked[0] and " OK " in e[3] and "EXPUNGE" in e[3])
    between = [e for e in evs if syncs(e) and unlinked[0] < e[0] < expunge_ok[1]]
    if mode == "always":
        assert any(f"<{cur}>" in e[3] for e in between), between
    else:
        assert between == [], between
