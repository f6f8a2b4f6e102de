"""Real third-party clients against tern: swaks (plain, pipelined, raw
--data) and curl's SMTP upload, each read back from the Maildir with
Python's mailbox module; and a 100,000-octet body line delivered
byte-identical (RELIABILITY.md #6)."""

import mailbox
import os
import re
import subprocess


def swaks(tern, *args, check=True):
    r = subprocess.run(["swaks", "--server", f"127.0.0.1:{tern.port}", "--helo", "swaks.example", *args],
                       capture_output=True, text=True, timeout=30)
    if check:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


def curl(tern, sender, rcpts, path, *extra):
    args = ["curl", "-sS", "--max-time", "20", f"smtp://127.0.0.1:{tern.port}", "--mail-from", sender]
    for r in rcpts:
        args += ["--mail-rcpt", r]
    return subprocess.run(args + ["--upload-file", path, *extra], capture_output=True, text=True, timeout=30)


def raw_messages(tern, address):
    """The stored bytes of every message in a Maildir (Maildir files use LF)."""
    path = tern.maildir_path(address)
    if not os.path.isdir(os.path.join(path, "new")):
        return []
    md = mailbox.Maildir(path, factory=None, create=False)
    return [md.get_bytes(k) for k in md.keys()]


def body_of(raw):
    head, sep, body = raw.partition(b"\n\n")
    assert sep, raw[:200]
    return head, body


def queued_id(transcript):
    m = re.search(r"queued as ([0-9A-F]{16})", transcript)
    assert m, transcript
    return m.group(1)


def test_swaks_plain_delivery(tern):
    r = swaks(tern, "--to", "alice@virt.test", "--from", "sender@example.org",
              "--header", "Subject: swaks plain", "--body", "hello from swaks")
    qid = queued_id(r.stdout)
    msgs = tern.wait_for_mail("alice@virt.test")
    assert len(msgs) == 1
    m = msgs[0]
    assert m["Subject"] == "swaks plain"
    assert m["Return-Path"] == "<sender@example.org>"
    assert m["Delivered-To"] == "alice@virt.test"
    assert f"id {qid}" in " ".join(m["Received"].split())
    assert "X-Mailer" in m and "swaks" in m["X-Mailer"]
    assert m.get_payload().startswith("hello from swaks\n")
    tern.wait_queue_empty()


def test_swaks_pipelining_two_recipients(tern):
    r = swaks(tern, "--pipeline", "--to", "alice@virt.test,bob@virt.test", "--from", "p@example.org",
              "--header", "Subject: pipelined")
    out = r.stdout
    # swaks really pipelined: MAIL, both RCPTs and DATA went out before the first reply.
    sent = out.index(" -> MAIL FROM:<p@example.org>")
    group = out[sent:out.index("<-  354")]
    assert " -> DATA" in group and group.index(" -> DATA") < group.index("<-  250 2.1.0")
    assert group.count("<-  250 2.1.5") == 2
    for rcpt in ("alice@virt.test", "bob@virt.test"):
        m = tern.wait_for_mail(rcpt)[0]
        assert m["Subject"] == "pipelined"
        assert m["Delivered-To"] == rcpt
        assert m["Return-Path"] == "<p@example.org>"


def test_swaks_pipelining_with_a_rejected_recipient(tern):
    r = swaks(tern, "--pipeline", "--to", "alice@virt.test,nobody@virt.test,bob@virt.test",
              "--from", "p@example.org", "--header", "Subject: partial", check=False)
    assert "<** 550 5.1.1" in r.stdout, r.stdout
    assert "queued as" in r.stdout, r.stdout
    tern.wait_for_mail("alice@virt.test")
    tern.wait_for_mail("bob@virt.test")
    tern.wait_queue_empty()
    assert not os.path.exists(tern.maildir_path("nobody@virt.test"))


def test_swaks_data_with_own_headers(tern):
    data = ("From: Writer <writer@example.org>\\nTo: alice@virt.test\\nSubject: raw data\\n"
            "X-Custom: kept as sent\\nMessage-ID: <raw-1@example.org>\\n\\nfirst line\\n\\nlast line")
    # swaks ends DATA with CRLF . CRLF after the text, so the last line needs no newline.
    swaks(tern, "--to", "alice@virt.test", "--from", "env@example.org", "--data", data)
    tern.wait_for_mail("alice@virt.test")
    raw = raw_messages(tern, "alice@virt.test")[0]
    head, body = body_of(raw)
    lines = head.split(b"\n")
    # tern prepends exactly its trace headers; the client's header block follows unchanged.
    assert lines[0] == b"Return-Path: <env@example.org>"
    assert lines[1] == b"Delivered-To: alice@virt.test"
    assert lines[2].startswith(b"Received: from swaks.example")
    client_part = head[head.index(b"From: Writer"):]
    assert client_part == (b"From: Writer <writer@example.org>\nTo: alice@virt.test\nSubject: raw data\n"
                           b"X-Custom: kept as sent\nMessage-ID: <raw-1@example.org>")
    assert body == b"first line\n\nlast line\n"
    m = mailbox.MaildirMessage(raw)
    assert m["X-Custom"] == "kept as sent"
    assert m["Message-ID"] == "<raw-1@example.org>"


def test_curl_upload_file(tern, workdir):
    path = os.path.join(workdir, "curl.eml")
    with open(path, "wb") as f:
        f.write(b"From: c@example.org\r\nSubject: curl upload\r\n\r\n"
                b".leading dot\r\n..two dots\r\nplain\r\n.\r\nafter a lone dot\r\n")
    r = curl(tern, "c@example.org", ["alice@virt.test", "bob@virt.test"], path)
    assert r.returncode == 0, r.stderr
    for rcpt in ("alice@virt.test", "bob@virt.test"):
        tern.wait_for_mail(rcpt)
        head, body = body_of(raw_messages(tern, rcpt)[0])
        assert b"\nSubject: curl upload" in head
        assert b"Return-Path: <c@example.org>" in head
        # curl stuffs the dots, tern unstuffs them: the lines arrive as written.
        assert body == b".leading dot\n..two dots\nplain\n.\nafter a lone dot\n"


def test_curl_rejected_recipient_fails_the_upload(tern, workdir):
    path = os.path.join(workdir, "curl.eml")
    with open(path, "wb") as f:
        f.write(b"Subject: partial\r\n\r\nx\r\n")
    r = curl(tern, "c@example.org", ["alice@virt.test", "nobody@virt.test"], path)
    assert r.returncode == 55 and "550" in r.stderr, (r.returncode, r.stderr)
    # With --mail-rcpt-allowfails curl goes on with the accepted recipient.
    r = curl(tern, "c@example.org", ["alice@virt.test", "nobody@virt.test"], path, "--mail-rcpt-allowfails")
    assert r.returncode == 0, r.stderr
    msgs = tern.wait_for_mail("alice@virt.test")
    tern.wait_queue_empty()
    assert len(tern.maildir("alice@virt.test")) == 1 and msgs[0]["Subject"] == "partial"


LONG = bytes((ord("a") + i % 26) for i in range(100_000))


def test_100000_octet_line_via_swaks_is_byte_identical(tern, workdir):
    body_file = os.path.join(workdir, "long-body")
    with open(body_file, "wb") as f:
        f.write(LONG + b"\r\nend\r\n")
    r = swaks(tern, "--to", "alice@virt.test", "--from", "s@example.org",
              "--header", "Subject: long line", "--body", "@" + body_file, "--suppress-data")
    assert "250 2.0.0" in r.stdout
    tern.wait_for_mail("alice@virt.test")
    head, body = body_of(raw_messages(tern, "alice@virt.test")[0])
    assert b"Subject: long line" in head
    assert len(head.split(b"\n")) < 20  # the long line never became header material
    assert body.startswith(LONG + b"\nend\n"), (len(body), body[:40], body[-40:])
    assert body.rstrip(b"\n") == LONG + b"\nend"


def test_100000_octet_line_via_curl_is_byte_identical(tern, workdir):
    path = os.path.join(workdir, "long.eml")
    content = b"Subject: long via curl\r\n\r\nfirst\r\n" + LONG + b"\r\nlast\r\n"
    with open(path, "wb") as f:
        f.write(content)
    r = curl(tern, "c@example.org", ["bob@virt.test"], path)
    assert r.returncode == 0, r.stderr
    tern.wait_for_mail("bob@virt.test")
    raw = raw_messages(tern, "bob@virt.test")[0]
    head, body = body_of(raw)
    assert body == b"first\n" + LONG + b"\nlast\n"
    m = mailbox.MaildirMessage(raw)
    assert m["Subject"] == "long via curl"
    assert m.get_payload().split("\n")[1] == LONG.decode()
    # The Maildir name's S= size is the stored size.
    name = os.listdir(os.path.join(tern.maildir_path("bob@virt.test"), "new"))[0]
    size = re.search(r",S=(\d+)", name)
    if size:
        assert int(size.group(1)) == len(raw)
