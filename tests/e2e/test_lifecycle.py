"""The daemon's life: SIGHUP reload under an open session, SIGTERM with
sessions mid-transaction (421 4.3.2, exit within 10 s, nothing acknowledged
lost), queue recovery at start (corrupt files quarantined, partial files in
queue/tmp removed), relay_domains from outside mynetworks, and VRFY."""

import os
import re
import signal
import smtplib
import time

import pytest

from conftest import ME, PRIVS, RawSMTP, server_has_read, wait_until


def session(t, source="127.0.0.1"):
    c = RawSMTP(t.port, source=source)
    code, text = c.reply()
    assert code == 220, text
    assert c.cmd("EHLO client.example")[0] == 250
    return c


def send(t, rcpts, body=b"Subject: t\r\n\r\nhello\r\n", sender="s@example.org"):
    with smtplib.SMTP("127.0.0.1", t.port, timeout=10) as s:
        return s.sendmail(sender, rcpts, body)


def wait_reloads(t, n):
    wait_until(lambda: t.log().count("reload -- configuration and tables reloaded") >= n,
               what=f"{n} successful reload(s) in the log")


# --- SIGHUP ------------------------------------------------------------------

def test_reload_with_open_session(make_tern):
    t = make_tern()
    old = session(t)
    assert old.cmd("MAIL FROM:<before@example.org>")[0] == 250
    code, text = old.cmd("RCPT TO:<info@alias.test>")
    assert (code, text[4:9]) == (550, "5.1.1")
    assert old.cmd("RCPT TO:<bob@virt.test>")[0] == 250

    t.write_file("virtual", "info@alias.test alice@virt.test\n")
    t.reload()
    wait_reloads(t, 1)

    # The session that was open across the reload goes on with its transaction.
    assert old.cmd("NOOP")[0] == 250
    assert old.cmd("DATA")[0] == 354
    assert old.cmd("Subject: across the reload\r\n\r\nx\r\n.")[0] == 250
    assert old.cmd("QUIT")[0] == 221
    assert t.wait_for_mail("bob@virt.test")[0]["Subject"] == "across the reload"

    # A new session sees the new table.
    new = session(t)
    new.cmd("MAIL FROM:<after@example.org>")
    assert new.cmd("RCPT TO:<info@alias.test>")[0] == 250
    new.cmd("DATA")
    assert new.cmd("Subject: via new alias\r\n\r\nx\r\n.")[0] == 250
    m = t.wait_for_mail("alice@virt.test")[0]
    assert m["Subject"] == "via new alias" and m["Delivered-To"] == "alice@virt.test"
    assert t.proc.poll() is None


def test_reload_with_bad_config_keeps_running_config(make_tern):
    t = make_tern({"message_size_limit": "1048576"})
    t.params["message_size_limit"] = "10x"
    t.write_config()
    t.reload()
    wait_until(lambda: "reload failed" in t.log(), what="the failed reload to be logged")
    assert t.proc.poll() is None
    c = session(t)
    code, text = c.cmd("EHLO again.example")
    assert "SIZE 1048576" in text
    c.cmd("MAIL FROM:<s@example.org>")
    c.cmd("RCPT TO:<alice@virt.test>")
    c.cmd("DATA")
    assert c.cmd("Subject: still served\r\n\r\nx\r\n.")[0] == 250
    t.wait_for_mail("alice@virt.test")
    # Once fixed, the next reload applies it to new sessions.
    t.params["message_size_limit"] = "2000000"
    t.write_config()
    t.reload()
    wait_reloads(t, 1)
    code, text = session(t).cmd("EHLO third.example")
    assert "SIZE 2000000" in text


# --- SIGTERM -----------------------------------------------------------------

def deferring_command(workdir):
    """A mailbox_command that defers (exit 75) until workdir/open exists,
    then stores each message as its own file in workdir/out/."""
    out = os.path.join(workdir, "out")
    os.makedirs(out, exist_ok=True)
    os.chmod(out, 0o777)
    script = os.path.join(workdir, "deliver.sh")
    with open(script, "w") as f:
        f.write(f"#!/bin/sh\n[ -e {workdir}/open ] || exit 75\n"
                f"cat > {out}/msg.$$.tmp && mv {out}/msg.$$.tmp {out}/msg.$$\n")
    os.chmod(script, 0o755)
    return script, out


def stored_ids(out):
    ids = []
    for name in os.listdir(out):
        if name.endswith(".tmp"):
            continue
        with open(os.path.join(out, name), errors="replace") as f:
            m = re.search(r"^X-Id: (\S+)$", f.read(), re.M)
            ids.append(m.group(1) if m else None)
    return ids


def test_sigterm_mid_transaction(make_tern, workdir):
    script, out = deferring_command(workdir)
    t = make_tern({"mailbox_command": script, "default_privs": PRIVS, "shutdown_timeout": "10s"})
    # Acknowledged before SIGTERM, but not deliverable yet.
    acked = [f"acked-{i}" for i in range(3)]
    for mid in acked:
        send(t, [f"{ME}@local.test"], f"X-Id: {mid}\r\nSubject: {mid}\r\n\r\nbody\r\n".encode())
    wait_until(lambda: t.log().count("status=deferred") >= 3, what="the acknowledged mail to be deferred")

    sessions = {}
    for i in range(4):
        sessions[f"idle-{i}"] = session(t)
    for i in range(4):
        c = session(t)
        assert c.cmd("MAIL FROM:<m@example.org>")[0] == 250
        sessions[f"mail-{i}"] = c
    for i in range(4):
        c = session(t)
        c.cmd("MAIL FROM:<r@example.org>")
        assert c.cmd(f"RCPT TO:<{ME}@local.test>")[0] == 250
        sessions[f"rcpt-{i}"] = c
    for i in range(4):
        c = session(t)
        c.cmd("MAIL FROM:<d@example.org>")
        c.cmd(f"RCPT TO:<{ME}@local.test>")
        assert c.cmd("DATA")[0] == 354
        c.send(f"X-Id: partial-data-{i}\r\nSubject: never finished\r\n\r\nsome of the body\r\n")
        sessions[f"data-{i}"] = c
    for i in range(4):
        c = session(t)
        c.cmd("MAIL FROM:<b@example.org>")
        c.cmd(f"RCPT TO:<{ME}@local.test>")
        chunk = f"X-Id: partial-bdat-{i}\r\n\r\n".encode()
        c.send(b"BDAT %d\r\n" % len(chunk) + chunk)
        assert c.reply()[0] == 250  # a whole chunk, not the LAST one
        sessions[f"bdat-{i}"] = c
    # Let the server read everything sent so far before the signal.
    for c in sessions.values():
        wait_until(lambda: server_has_read(t, c), what="the server to read what the client sent")

    start = time.monotonic()
    t.proc.send_signal(signal.SIGTERM)
    replies = {}
    for name, c in sessions.items():
        try:
            replies[name] = c.reply()
        except (ConnectionError, OSError) as e:
            replies[name] = (None, repr(e))
    rc = t.proc.wait(timeout=10)
    elapsed = time.monotonic() - start
    t.proc = None
    t.stderr.close()
    assert rc == 0 and elapsed < 10
    bad = {n: r for n, r in replies.items() if r[0] != 421 or r[1][4:9] != "4.3.2"}
    assert not bad, bad
    assert all(c.closed(timeout=5) for c in sessions.values())

    # After a restart the acknowledged mail is delivered once; the interrupted never.
    open(os.path.join(workdir, "open"), "w").close()
    t.start()
    wait_until(lambda: sorted(stored_ids(out)) == acked, timeout=15,
               what="the acknowledged messages after the restart")
    t.wait_queue_empty()
    assert sorted(stored_ids(out)) == acked
    assert not [f for f in t.queue_files() if f.startswith("tmp/")]


def test_sigterm_mid_bdat_chunk(make_tern):
    t = make_tern()
    c = session(t)
    c.cmd("MAIL FROM:<b@example.org>")
    c.cmd("RCPT TO:<alice@virt.test>")
    c.send(b"BDAT 1000 LAST\r\nSubject: half a chunk\r\n\r\n")
    # The server is now inside the chunk, waiting for the other bytes.
    wait_until(lambda: server_has_read(t, c), what="the server to read the partial chunk")
    t.proc.send_signal(signal.SIGTERM)
    try:
        reply = c.reply()
    except ConnectionError as e:
        reply = (None, repr(e))
    assert reply[0] == 421 and reply[1][4:9] == "4.3.2", reply
    assert t.proc.wait(timeout=10) == 0
    t.proc = None
    t.stderr.close()


def test_sigterm_while_session_is_busy_in_a_transaction(make_tern):
    # The session is not waiting for input when the signal comes: it is in
    # its error sleep (tarpit) before answering a bad command, with MAIL and
    # RCPT done. It must still end with 421 4.3.2 promptly, not wait for the
    # client until smtpd_timeout or be cut off at shutdown_timeout.
    t = make_tern({"smtpd_error_sleep_time": "1s", "smtpd_soft_error_limit": "0", "smtpd_timeout": "3s"})
    c = session(t)
    c.cmd("MAIL FROM:<b@example.org>")
    assert c.cmd("RCPT TO:<alice@virt.test>")[0] == 250
    start = time.monotonic()
    c.send("BOGUS\r\n")
    wait_until(lambda: server_has_read(t, c), what="the server to read the bad command")
    t.proc.send_signal(signal.SIGTERM)
    wait_until(lambda: "terminating on signal" in t.log(), what="the signal to be logged")
    assert c.reply()[0] == 500  # after the error sleep
    try:
        reply = c.reply()
    except ConnectionError as e:
        reply = (None, repr(e))
    elapsed = time.monotonic() - start
    assert reply[0] == 421 and reply[1][4:9] == "4.3.2", (reply, elapsed)
    assert elapsed < 3, elapsed
    assert t.proc.wait(timeout=10) == 0
    t.proc = None
    t.stderr.close()


# --- queue recovery at start ---------------------------------------------------

def new_ids(n):
    base = int(time.time()) - 3600
    return [f"{base:08X}{i:05X}ABC" for i in range(n)]


def test_corrupt_queue_files_are_quarantined(make_tern):
    t = make_tern(start=False)
    [good] = t.enqueue_offline(["alice@virt.test"], b"Subject: good one\n\nfine\n")
    [template] = t.enqueue_offline(["bob@virt.test"], b"Subject: to be damaged\n\nx\n")
    src = os.path.join(t.queue, "active", template)
    with open(src, "rb") as f:
        data = f.read()
    os.unlink(src)
    assert data.startswith(b"TERNQ1\n") and data.endswith(b"E\0\0\0\0")
    variants = {
        "truncated": data[:-12],
        "no end marker": data[:-5],
        "unknown record": data[:-5] + b"Z\x03\0\0\0abc" + data[-5:],
        "bad magic": b"XERNQ1\n" + data[7:],
        "after the end": data + b"trailing",
    }
    ids = dict(zip(variants, new_ids(len(variants))))
    for kind, qid in ids.items():
        path = os.path.join(t.queue, "active", qid)
        with open(path, "wb") as f:
            f.write(variants[kind])
        os.chmod(path, 0o600)
    t.start()
    corrupt = os.path.join(t.queue, "corrupt")
    wait_until(lambda: set(ids.values()) <= set(os.listdir(corrupt)), what="the damaged files in queue/corrupt")
    log = t.log()
    for kind, qid in ids.items():
        assert re.search(rf"{qid}: queue file is corrupt", log), kind
        with open(os.path.join(corrupt, qid), "rb") as f:
            assert f.read() == variants[kind], kind  # quarantined as found
    # Other mail still flows: the good file from before and new mail.
    assert t.wait_for_mail("alice@virt.test")[0]["Subject"] == "good one"
    send(t, ["alice@virt.test"], b"Subject: after\r\n\r\nx\r\n")
    t.wait_for_mail("alice@virt.test", 2)
    t.wait_queue_empty()
    assert t.maildir("bob@virt.test") == []
    listing = t.run("queue", "list").stdout
    for qid in ids.values():
        assert re.search(rf"^{qid}#", listing, re.M), listing
    # A restart does not resurrect them.
    t.stop()
    t.start()
    send(t, ["alice@virt.test"], b"Subject: third\r\n\r\nx\r\n")
    t.wait_for_mail("alice@virt.test", 3)
    assert t.maildir("bob@virt.test") == []
    assert set(ids.values()) <= set(os.listdir(corrupt))


def test_partial_files_in_tmp_are_removed_at_start(make_tern):
    t = make_tern(start=False)
    [committed] = t.enqueue_offline(["alice@virt.test"], b"Subject: committed\n\nx\n")
    [uncommitted] = t.enqueue_offline(["alice@virt.test"], b"Subject: never committed\n\nx\n")
    tmp = os.path.join(t.queue, "tmp")
    # A complete file that never reached active/ was never acknowledged.
    os.rename(os.path.join(t.queue, "active", uncommitted), os.path.join(tmp, uncommitted))
    with open(os.path.join(tmp, uncommitted), "rb") as f:
        data = f.read()
    [half] = new_ids(1)
    with open(os.path.join(tmp, half), "wb") as f:
        f.write(data[: len(data) // 2])
    with open(os.path.join(tmp, "stray.partial"), "wb") as f:
        f.write(b"junk")
    t.start()
    wait_until(lambda: os.listdir(tmp) == [], what="queue/tmp to be emptied")
    assert "removed 3 partial queue file(s)" in t.log()
    assert t.wait_for_mail("alice@virt.test")[0]["Subject"] == "committed"
    t.wait_queue_empty()
    send(t, ["alice@virt.test"], b"Subject: live\r\n\r\nx\r\n")
    t.wait_for_mail("alice@virt.test", 2)
    t.wait_queue_empty()
    assert sorted(m["Subject"] for m in t.maildir("alice@virt.test")) == ["committed", "live"]


# --- relay_domains -------------------------------------------------------------

def test_relay_domains_accepts_backup_domain_from_outside(make_tern):
    t = make_tern({"relay_domains": "backup.test"})
    c = session(t, source="127.0.0.2")
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
    assert c.cmd("RCPT TO:<someone@backup.test>")[0] == 250
    assert c.cmd("RCPT TO:<Other@BACKUP.TEST>")[0] == 250
    for rcpt in ("u@elsewhere.example", "u@notbackup.test", "u@backup.test.example", "u@sub.example"):
        code, text = c.cmd(f"RCPT TO:<{rcpt}>")
        assert (code, text[4:9]) == (554, "5.7.1") and "Relay access denied" in text, (rcpt, text)
    assert c.cmd("DATA")[0] == 354
    code, text = c.cmd("Subject: for the backup domain\r\n\r\nx\r\n.")
    assert code == 250, text
    qid = re.search(r"queued as ([0-9A-F]{16})", text).group(1)
    wait_until(lambda: re.search(rf"{qid}: from=<a@example.org>.*nrcpt=2", t.log()),
               what="the queued message with two recipients")


def test_relay_domains_refuses_sender_routing_from_outside(make_tern):
    # A backup MX must not forward user%third.party@backup.test to the primary,
    # which would relay it on: the open-relay loophole Postfix closes by default.
    t = make_tern({"relay_domains": "backup.test"})
    c = session(t, source="127.0.0.2")
    c.cmd("MAIL FROM:<a@example.org>")
    for rcpt in ("u%third.example@backup.test", "third.example!u@backup.test", '"u@third.example"@backup.test'):
        code, text = c.cmd(f"RCPT TO:<{rcpt}>")
        assert (code, text[4:9]) == (554, "5.7.1"), (rcpt, text)
    assert c.cmd("RCPT TO:<plain@backup.test>")[0] == 250


# --- VRFY ----------------------------------------------------------------------

def test_vrfy_enabled(make_tern):
    t = make_tern({"disable_vrfy_command": "no"})
    c = session(t)
    code, text = c.cmd("EHLO x")
    assert "\n250-VRFY" in text or "\n250 VRFY" in text
    code, text = c.cmd("VRFY alice@virt.test")
    assert code == 250 and "alice@virt.test" in text, text
    assert c.cmd("VRFY <bob@virt.test>")[0] == 250
    assert c.cmd("VRFY alice+tag@virt.test")[0] == 250
    code, text = c.cmd("VRFY nobody@virt.test")
    assert (code, text[4:9]) == (550, "5.1.1"), text
    assert c.cmd("VRFY nobody@alias.test")[0] == 550
    code, text = c.cmd("VRFY postmaster")
    assert code == 250 and "postmaster@local.test" in text, text
    assert c.cmd(f"VRFY {ME}@local.test")[0] == 250
    assert c.cmd("NOOP")[0] == 250


def test_vrfy_disabled_by_default(tern):
    c = session(tern)
    assert c.cmd("VRFY alice@virt.test")[0] == 252
    assert c.cmd("VRFY nobody@virt.test")[0] == 252  # no difference: nothing learnt


def test_vrfy_not_advertised_when_disabled(tern):
    c = RawSMTP(tern.port)
    c.reply()
    code, text = c.cmd("EHLO x")
    assert code == 250
    assert "VRFY" not in text.split("\n")[1:] and "250-VRFY" not in text and "250 VRFY" not in text
