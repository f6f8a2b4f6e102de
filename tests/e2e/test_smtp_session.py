"""The SMTP session's own rules, end to end with raw sockets and smtplib:
talk before the greeting, replies to a pipelined group that ends in a
partial line, NUL and control bytes in commands and content, BDAT errors
and the transaction after them, and smtpd_helo_required (RELIABILITY.md
section 4, cases 4, 7, 9, 19 and 44)."""

import os
import signal
import smtplib
import socket

from conftest import RawSMTP, server_has_read, wait_until


def session(tern):
    c = RawSMTP(tern.port)
    assert c.reply()[0] == 220
    assert c.cmd("EHLO client.example")[0] == 250
    return c


def chunk_sent(tern, chunk):
    """A session with MAIL, RCPT and a first (not LAST) BDAT chunk accepted."""
    c = session(tern)
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
    assert c.cmd("RCPT TO:<alice@virt.test>")[0] == 250
    c.send(b"BDAT %d\r\n" % len(chunk) + chunk)
    assert c.reply()[0] == 250
    return c


def stored_and_queued(tern, address="alice@virt.test"):
    return tern.maildir(address), [f for f in tern.queue_files() if f.startswith(("active/", "tmp/"))]


def test_talking_before_the_greeting_gets_554_and_close(tern):
    # Case 4. The daemon is stopped while the client connects and talks, so
    # the bytes are there before the session starts, whatever the load.
    os.kill(tern.proc.pid, signal.SIGSTOP)
    try:
        c = RawSMTP(tern.port)
        c.send("EHLO x\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<alice@virt.test>\r\nDATA\r\nx\r\n.\r\n")
    finally:
        os.kill(tern.proc.pid, signal.SIGCONT)
    code, text = c.reply()
    assert (code, text[4:9]) == (554, "5.5.0")
    assert c.closed()
    assert stored_and_queued(tern) == ([], [])


def test_replies_are_sent_before_waiting_for_the_rest_of_a_line(tern):
    # A pipelined group whose last command is still incomplete: the replies
    # to the complete ones must not wait for it (main held them: a client
    # that waits for them deadlocked until smtpd_timeout).
    c = session(tern)
    c.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<alice@virt.test>\r\nRSE")
    c.sock.settimeout(3)
    assert c.reply()[0] == 250
    assert c.reply()[0] == 250
    c.sock.settimeout(10)
    assert c.cmd("T")[0] == 250


def test_nul_in_command_and_in_body(tern):
    # Case 7: NUL in a command: 500 5.5.2; in the body: 554 5.6.0 after the
    # whole message was read, nothing stored (never a truncated message).
    c = session(tern)
    code, text = c.cmd("MAIL FROM:<a\x00b@example.org>")
    assert (code, text[4:9]) == (500, "5.5.2")
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
    assert c.cmd("RCPT TO:<alice@virt.test>")[0] == 250
    assert c.cmd("DATA")[0] == 354
    code, text = c.cmd("Subject: nul\r\n\r\nbefore\x00after\r\nmore\r\n.")
    assert (code, text[4:9]) == (554, "5.6.0")
    assert c.cmd("NOOP")[0] == 250
    assert stored_and_queued(tern) == ([], [])


def test_bdat_without_recipient_after_mail(tern):
    # Case 9: the 10 bytes are consumed (they look like commands, and must
    # not run as such), 554 5.5.1, and the session goes on.
    c = session(tern)
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
    c.send(b"BDAT 10\r\nQUIT\r\nQUIT")
    code, text = c.reply()
    assert (code, text[4:9]) == (554, "5.5.1")
    assert c.cmd("NOOP")[0] == 250
    assert c.cmd("RCPT TO:<alice@virt.test>")[0] == 250


def test_bdat_chunk_then_error_then_a_fresh_transaction_is_delivered_once(tern):
    # Case 44, first half: BDAT 10 without LAST, then commands that do not
    # fit; RSET; a full transaction is delivered once, without the chunk.
    c = chunk_sent(tern, b"stale-data")
    assert c.cmd("DATA")[1][:9] == "503 5.5.1"
    assert c.cmd("RCPT TO:<bob@virt.test>")[1][:9] == "503 5.5.1"
    assert c.cmd("MAIL FROM:<a@example.org>")[1][:9] == "503 5.5.1"
    assert c.cmd("RSET")[0] == 250
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
    assert c.cmd("RCPT TO:<alice@virt.test>")[0] == 250
    body = b"Subject: fresh\r\n\r\nfresh\r\n"
    c.send(b"BDAT %d LAST\r\n" % len(body) + body)
    assert c.reply()[0] == 250
    msgs = tern.wait_for_mail("alice@virt.test")
    assert c.cmd("QUIT")[0] == 221
    wait_until(lambda: "disconnect from" in tern.log(), what="the session to end")
    msgs = tern.maildir("alice@virt.test")
    assert len(msgs) == 1
    assert msgs[0].get_payload() == "fresh\n"
    assert "stale-data" not in msgs[0].as_string()


def test_malformed_bdat_resets_the_transaction(tern):
    # Case 44, second half: a BDAT with an invalid size inside a chunked
    # transaction: 501, the transaction is reset (documented), and the next
    # MAIL starts a fresh one that is delivered once.
    c = chunk_sent(tern, b"abcd")
    for bad in ("BDAT -5", "BDAT 99999999999999999999999999999999999999999", "BDAT 5 LASTX"):
        code, text = c.cmd(bad)
        assert (code, text[4:9]) == (501, "5.5.4"), bad
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
    assert c.cmd("RCPT TO:<alice@virt.test>")[0] == 250
    c.send(b"BDAT 19 LAST\r\nSubject: b\r\n\r\nnew\r\n")
    assert c.reply()[0] == 250
    msgs = tern.wait_for_mail("alice@virt.test")
    assert len(msgs) == 1 and msgs[0].get_payload() == "new\n"


def test_control_bytes_in_ehlo_and_parameters(tern):
    # Case 19: refused with 501 5.5.2 (documented: never sanitized).
    c = RawSMTP(tern.port)
    c.reply()
    for bad in ("EHLO a\x1b[31mb", "EHLO a\x7fb", "HELO a\x01b", "EHLO a\tb"):
        code, text = c.cmd(bad)
        assert (code, text[4:9]) == (501, "5.5.2"), repr(bad)
    code, text = c.cmd("EHLO h\u00e9.example")
    assert (code, text[4:9]) == (501, "5.5.2")
    code, text = c.cmd("EHLO " + "a" * 10000)
    assert (code, text[4:9]) == (500, "5.5.2")
    assert c.cmd("EHLO client.example")[0] == 250
    for bad in ("MAIL FROM:<a@example.org> ENVID=x\x01y", "MAIL FROM:<a@example.org> SIZE=1\x7f",
                "MAIL FROM:<a\x1f@example.org>"):
        code, text = c.cmd(bad)
        assert (code, text[4:9]) == (501, "5.5.2"), repr(bad)
    code, text = c.cmd("MAIL FROM:<a@example.org> ENVID=x+0Ay")
    assert (code, text[4:9]) == (501, "5.5.4")
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
    code, text = c.cmd("RCPT TO:<alice@virt.test> NOTIFY=\x02")
    assert (code, text[4:9]) == (501, "5.5.2")


def test_received_header_stays_rfc5322_with_a_long_helo_name(tern):
    # Case 19: the HELO name goes into Received: printable and cut, so the
    # header line stays within 998 bytes.
    name = ".".join(["a" * 60] * 50)  # 3049 bytes, a legal command line
    with smtplib.SMTP("127.0.0.1", tern.port, local_hostname=name) as s:
        s.sendmail("a@example.org", ["alice@virt.test"], b"Subject: long helo\r\n\r\nx\r\n")
    m = tern.wait_for_mail("alice@virt.test")[0]
    raw = m.as_bytes()
    header = raw.split(b"\n\n", 1)[0]
    assert all(len(line) <= 998 for line in header.split(b"\n"))
    assert not any(b < 0x20 and b not in (0x09, 0x0a) for b in header)
    received = m["Received"]
    helo = received.split(" ")[1]
    assert helo.startswith(name[:250]) and len(helo) <= 258, received[:300]


def test_helo_required(make_tern):
    # Issue 7 item 8: smtpd_helo_required, Postfix's reply.
    t = make_tern({"smtpd_helo_required": "yes"})
    c = RawSMTP(t.port)
    c.reply()
    code, text = c.cmd("MAIL FROM:<a@example.org>")
    assert text == "503 5.5.1 Error: send HELO/EHLO first"
    assert c.cmd("HELO client.example")[0] == 250
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
    # Off (the default): MAIL without HELO is accepted, as Postfix does.
    u = make_tern()
    d = RawSMTP(u.port)
    d.reply()
    assert d.cmd("MAIL FROM:<a@example.org>")[0] == 250
