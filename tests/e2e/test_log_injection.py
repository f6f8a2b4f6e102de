"""Control bytes never reach a log line or a header raw (issue 7 item 11,
RELIABILITY.md #18, #19), and maillog_file is never opened through a link
(item 7)."""

import os
import re
import struct
import subprocess

from conftest import TERN, RawSMTP, wait_until

# "Dec  2 04:30:01 host tern/smtpd[123]: " -- what every line must start with.
PREFIX = re.compile(rb"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ [^\s\[]+\[\d+\]: ")


def assert_one_line_per_event(t):
    with open(t.logfile, "rb") as f:
        data = f.read()
    assert data.endswith(b"\n")
    for line in data[:-1].split(b"\n"):
        assert PREFIX.match(line), line
        assert not re.search(rb"[\x00-\x1f\x7f]", line), line
    return data


def test_control_bytes_from_smtp_clients(tern):
    c = RawSMTP(tern.port)
    assert c.reply()[0] == 220
    assert c.cmd("EHLO bad\x01helo\x7f")[0] == 501  # 501 5.5.2: a control byte in an argument
    assert c.cmd("EHLO " + "h" * 10000)[0] == 500
    c.send(b"EHLO eight\xc3\xbc\xff\xfe.example\r\n")
    assert c.reply()[0] in (250, 500, 501)
    assert c.cmd("EHLO client.example")[0] == 250
    code, text = c.cmd("MAIL FROM:<a@b> AUTH=x+0A+0Dy ENVID=a+0Ab ORCPT=rfc822;u+0A@x")
    assert (code, text[4:9]) == (501, "5.5.4"), text
    assert c.cmd("MAIL FROM:<a\rb@example.org>")[0] == 500
    c.send(b"MAIL FROM:<nul\x00@example.org>\r\n")
    assert c.reply()[0] == 500
    assert c.cmd("MAIL FROM:<a@example.org> ENVID=ok+2Bfine")[0] == 250
    code, text = c.cmd("RCPT TO:<alice@virt.test> ORCPT=rfc822;u+0D+0A@x")
    assert (code, text[4:9]) == (501, "5.5.4"), text
    assert c.cmd("RCPT TO:<nobody\x0b@virt.test>")[0] == 501
    assert c.cmd("RCPT TO:<nobody@virt.test>")[0] == 550
    assert c.cmd("RCPT TO:<alice@virt.test>")[0] == 250
    assert c.cmd("DATA")[0] == 354
    c.send("Subject: ctl\r\n\r\nbody\r\n.\r\n")
    assert c.reply()[0] == 250
    c.cmd("QUIT")
    msg = tern.wait_for_mail("alice@virt.test")[0]
    assert msg["Return-Path"] == "<a@example.org>"
    wait_until(lambda: "removed" in tern.log(), what="the delivery to be logged")
    assert_one_line_per_event(tern)
    assert tern.queue_files() == []  # nothing from the refused transactions


def test_sendmail_f_with_control_bytes_is_refused(tern):
    for sender in ("a\nb@example.org", "a\rX-Evil: 1@example.org", "a\x1b[31m@example.org"):
        r = tern.run("sendmail", "-i", "-f", sender, "alice@virt.test", input=b"Subject: x\n\nx\n", check=False)
        assert r.returncode != 0
    r = tern.run("sendmail", "-i", "-f", "ok@example.org", "alice@virt.test", input=b"Subject: ok\n\nx\n")
    assert tern.wait_for_mail("alice@virt.test")[0]["Return-Path"] == "<ok@example.org>"
    wait_until(lambda: "removed" in tern.log(), what="the delivery to be logged")
    assert_one_line_per_event(tern)


def records(data):
    assert data.startswith(b"TERNQ1\n")
    pos, out = 7, []
    while pos < len(data):
        typ, n = data[pos:pos + 1], struct.unpack("<I", data[pos + 1:pos + 5])[0]
        out.append((typ, data[pos + 5:pos + 5 + n]))
        pos += 5 + n
    return out


def encode(recs):
    return b"TERNQ1\n" + b"".join(t + struct.pack("<I", len(p)) + p for t, p in recs)


def test_forged_queue_file_cannot_inject_headers(make_tern):
    """A queue file is written by mail_owner: one forged there (RELIABILITY
    #57) must not be able to add a header line through the envelope."""
    t = make_tern(start=False)
    (qid,) = t.enqueue_offline(["alice@virt.test"], body=b"Subject: forged\n\nbody\n")
    path = os.path.join(t.queue, "active", qid)
    with open(path, "rb") as f:
        recs = records(f.read())
    evil = b"x@example.org>\nX-Injected: yes\r\nReturn-Path: <boss@example.org"
    recs = [(typ, evil if typ == b"S" else p) for typ, p in recs]
    with open(path, "wb") as f:
        f.write(encode(recs))
    shown = t.run("queue", "show", qid).stdout
    assert "sender: x@example.org>\\x0aX-Injected: yes\\x0d\\x0aReturn-Path: <boss@example.org" in shown
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", shown.split("*** MESSAGE")[0])
    t.start()
    wait_until(lambda: t.maildir("alice@virt.test") or os.listdir(os.path.join(t.queue, "corrupt")),
               what="delivery or quarantine")
    for msg in t.maildir("alice@virt.test"):
        assert msg["X-Injected"] is None
        assert msg.get_all("Return-Path") == ["<x@example.org>\\x0aX-Injected: yes\\x0d\\x0aReturn-Path: "
                                              "<boss@example.org>"]
        raw = msg.as_bytes().split(b"\n\n", 1)[0]
        assert not re.search(rb"[\x00-\x08\x0b-\x1f\x7f]", raw)
    wait_until(lambda: t.queue_files() == [] or os.listdir(os.path.join(t.queue, "corrupt")), what="queue")
    assert_one_line_per_event(t)


def test_maillog_file_symlink_is_refused(make_tern):
    t = make_tern(start=False)
    victim = os.path.join(t.base, "victim")
    with open(victim, "w") as f:
        f.write("precious\n")
    os.symlink(victim, t.logfile)
    r = subprocess.run([TERN, "-c", t.config, "serve"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "maillog_file" in r.stderr and "symbolic link" in r.stderr, r.stderr
    with open(victim) as f:
        assert f.read() == "precious\n"
    # A hard link to another file is refused the same way.
    os.unlink(t.logfile)
    os.link(victim, t.logfile)
    r = subprocess.run([TERN, "-c", t.config, "serve"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "hard links" in r.stderr, r.stderr
    with open(victim) as f:
        assert f.read() == "precious\n"
    # An ordinary file works.
    os.unlink(t.logfile)
    t.start()
    assert "daemon started" in t.log()


def test_case_18_xtext_and_queue_show_after_restart(make_tern):
    """RELIABILITY #18: xtext that decodes to control bytes is refused with
    501 5.5.4; what is queued reads back identically after a restart, and
    `tern queue show` never prints a raw control byte."""
    t = make_tern({"mailbox_command": "/bin/sh -c 'exit 75'", "minimal_backoff_time": "60s",
                   "maximal_backoff_time": "60s"})
    import getpass
    me = f"{getpass.getuser()}@local.test"
    c = RawSMTP(t.port)
    assert c.reply()[0] == 220
    assert c.cmd("EHLO client.example")[0] == 250
    code, text = c.cmd("MAIL FROM:<a@b> AUTH=x+0A+0Dy ENVID=a+0Ab ORCPT=rfc822;u+0A@x")
    assert (code, text[4:9]) == (501, "5.5.4"), text
    assert c.cmd("MAIL FROM:<odd+2Bname@example.org> ENVID=fine+2Bid")[0] == 250
    code, text = c.cmd(f"RCPT TO:<{me}> ORCPT=rfc822;u+0A@x")
    assert (code, text[4:9]) == (501, "5.5.4"), text
    assert c.cmd(f"RCPT TO:<{me}> ORCPT=rfc822;u+2B1@x")[0] == 250
    assert c.cmd("DATA")[0] == 354
    c.send("Subject: held\r\n\r\nx\r\n.\r\n")
    code, text = c.reply()
    assert code == 250
    qid = text.split()[-1]
    c.cmd("QUIT")
    wait_until(lambda: "status=deferred" in t.log(), what="deferral")
    before = t.run("queue", "show", qid).stdout
    assert "sender: odd+2Bname@example.org" in before
    assert "dsn_envid: fine+id" in before and "dsn_orig_rcpt: rfc822;u+1@x" in before
    t.stop()
    t.start()
    after = t.run("queue", "show", qid).stdout
    assert after == before
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", after)
    with open(os.path.join(t.queue, "active", qid), "rb") as f:
        recs = records(f.read())
    assert recs[-1] == (b"E", b"")
    assert [typ for typ, _ in recs].count(b"S") == 1
    assert all(typ in b"TCHPFSRDMEVN" for typ, _ in recs)
    # DSN parameters are kept as typed records, decoded (issue 9).
    assert (b"V", b"fine+id") in recs
    assert (b"N", b"0rfc822;u+1@x") in recs
    assert_one_line_per_event(t)
