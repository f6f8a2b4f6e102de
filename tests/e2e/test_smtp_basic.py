"""The happy path: a message over SMTP lands in a virtual user's Maildir,
readable by Python's mailbox module, with the trace headers tern adds."""

import re
import smtplib

from conftest import RawSMTP, wait_until


def test_message_is_delivered_to_maildir(tern):
    with smtplib.SMTP("127.0.0.1", tern.port) as s:
        code, banner = s.ehlo("client.example")
        assert code == 250
        for ext in ("pipelining", "size", "8bitmime", "enhancedstatuscodes", "smtputf8", "chunking"):
            assert s.has_extn(ext), ext
        resp = s.sendmail("sender@example.org", ["alice@virt.test"],
                          b"Subject: hello\r\nFrom: sender@example.org\r\n\r\nbody line\r\n")
        assert resp == {}
    msgs = tern.wait_for_mail("alice@virt.test")
    assert len(msgs) == 1
    m = msgs[0]
    assert m["Subject"] == "hello"
    assert m["Return-Path"] == "<sender@example.org>"
    assert m["Delivered-To"] == "alice@virt.test"
    assert "by mx.test.example (tern) with ESMTP id" in m["Received"]
    assert m.get_payload() == "body line\n"
    tern.wait_queue_empty()


def test_250_carries_queue_id_and_log_lines(tern):
    c = RawSMTP(tern.port)
    assert c.reply()[0] == 220
    assert c.cmd("EHLO x")[0] == 250
    assert c.cmd("MAIL FROM:<s@example.org>")[0] == 250
    assert c.cmd("RCPT TO:<bob@virt.test>") == (250, "250 2.1.5 Ok")
    assert c.cmd("DATA")[0] == 354
    code, text = c.cmd("Subject: x\r\n\r\nhi\r\n.")
    assert code == 250
    qid = re.search(r"queued as ([0-9A-F]{16})", text).group(1)
    assert c.cmd("QUIT")[0] == 221
    tern.wait_for_mail("bob@virt.test")
    wait_until(lambda: "status=sent" in tern.log(), what="delivery log line")
    log = tern.log()
    assert re.search(rf"{qid}: from=<s@example.org>, size=\d+, nrcpt=1", log)
    assert re.search(rf"{qid}: to=<bob@virt.test>, relay=virtual, delay=\d+\.\d\d, delays=[\d.]+/[\d.]+/0/[\d.]+, dsn=2.0.0, status=sent \(delivered to maildir\)", log)


def test_several_recipients_one_message_each(tern):
    with smtplib.SMTP("127.0.0.1", tern.port) as s:
        s.sendmail("s@example.org", ["alice@virt.test", "bob@virt.test"], b"Subject: two\r\n\r\nx\r\n")
    assert tern.wait_for_mail("alice@virt.test")[0]["Delivered-To"] == "alice@virt.test"
    assert tern.wait_for_mail("bob@virt.test")[0]["Delivered-To"] == "bob@virt.test"


def test_pipelined_group_gets_replies_in_order(tern):
    c = RawSMTP(tern.port)
    c.reply()
    c.cmd("EHLO x")
    c.send("MAIL FROM:<s@example.org>\r\nRCPT TO:<alice@virt.test>\r\nRCPT TO:<nobody@virt.test>\r\n"
           "RCPT TO:<bob@virt.test>\r\nDATA\r\n")
    assert c.reply()[0] == 250
    assert c.reply()[0] == 250
    code, text = c.reply()
    assert code == 550 and "5.1.1" in text
    assert c.reply()[0] == 250
    assert c.reply()[0] == 354
    assert c.cmd("Subject: p\r\n\r\nx\r\n.")[0] == 250
    tern.wait_for_mail("alice@virt.test")
    tern.wait_for_mail("bob@virt.test")


def test_dot_stuffing(tern):
    c = RawSMTP(tern.port)
    c.reply()
    c.cmd("EHLO x")
    c.cmd("MAIL FROM:<s@example.org>")
    c.cmd("RCPT TO:<alice@virt.test>")
    c.cmd("DATA")
    assert c.cmd("Subject: dots\r\n\r\n..\r\n..x\r\n.. \r\n...\r\n.x\r\n.")[0] == 250
    m = tern.wait_for_mail("alice@virt.test")[0]
    assert m.get_payload() == ".\n.x\n. \n..\nx\n"


def test_bdat_chunks(tern):
    c = RawSMTP(tern.port)
    c.reply()
    c.cmd("EHLO x")
    c.cmd("MAIL FROM:<s@example.org>")
    c.cmd("RCPT TO:<alice@virt.test>")
    part1 = b"Subject: chunked\r\n\r\nfirst "
    part2 = b"second\r\n.\r\nthird\r\n"
    c.send(b"BDAT %d\r\n" % len(part1) + part1)
    assert c.reply()[0] == 250
    c.send(b"BDAT %d LAST\r\n" % len(part2) + part2)
    code, text = c.reply()
    assert code == 250 and "queued as" in text
    m = tern.wait_for_mail("alice@virt.test")[0]
    assert m.get_payload() == "first second\n.\nthird\n"


def test_bdat_without_recipient_consumes_chunk(tern):
    c = RawSMTP(tern.port)
    c.reply()
    c.cmd("EHLO x")
    c.send(b"BDAT 10\r\n0123456789")
    code, text = c.reply()
    assert code == 503
    assert c.cmd("NOOP")[0] == 250


def test_smtputf8_and_8bit(tern):
    tern.add_user("jos\u00e9@virt.test")
    tern.reload()
    wait_until(lambda: "reload" in tern.log(), what="reload")
    c = RawSMTP(tern.port)
    c.reply()
    c.cmd("EHLO x")
    assert c.cmd("MAIL FROM:<s\u00e9nder@example.org> SMTPUTF8 BODY=8BITMIME")[0] == 250
    assert c.cmd("RCPT TO:<jos\u00e9@virt.test>")[0] == 250
    c.cmd("DATA")
    c.send("Subject: caf\u00e9\r\n\r\nna\u00efve\r\n.\r\n".encode())
    code, text = c.reply()
    assert code == 250
    path = tern.maildir_path("jos\u00e9@virt.test")
    msgs = tern.wait_for_mail("jos\u00e9@virt.test")
    raw = msgs[0].as_bytes()
    assert "na\u00efve".encode() in raw
    assert "UTF8SMTP" in msgs[0]["Received"]
    # Without SMTPUTF8, an 8-bit address is refused.
    c.cmd("MAIL FROM:<s@example.org>")
    code, text = c.cmd("RCPT TO:<jos\u00e9@virt.test>")
    assert code == 553 and "5.6.7" in text
