"""Delivery status notifications as a mail reader sees them: the output of
the real composer (mail/dsn.cpp, through the build's dsn_compose driver)
parsed back with Python's email package, for ordinary bounces, delay
warnings, RET=HDRS, bounce_size_limit, SMTPUTF8 originals, and hostile
remote reply text (RELIABILITY.md #45: CR/LF/NUL, MIME boundaries and
100 KB of text in a reply must not reshape the report)."""

import email
import email.policy
import os
import subprocess

import pytest

from conftest import TERN

TOOL = os.path.join(os.path.dirname(TERN), "dsn_compose")

ORIGINAL = (
    "From: Alice <alice@example.org>\n"
    "To: bob@example.com, carol@example.com, dave@example.com\n"
    "Subject: quarterly figures\n"
    "Message-Id: <orig.1@example.org>\n"
    "\n"
    "Hello all,\n"
    "the figures are attached.\n"
)


def compose(*rcpts, original=ORIGINAL, **opts):
    args = [TOOL]
    for key, value in opts.items():
        args += ["--" + key.replace("_", "-"), str(value)]
    for r in rcpts:
        args += ["--rcpt", r]
    proc = subprocess.run(args, input=original.encode(), capture_output=True, check=True)
    flags = dict(kv.split("=") for kv in proc.stderr.decode().split())
    return proc.stdout, {k: v == "1" for k, v in flags.items()}


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def report_blocks(msg):
    """The per-message block and per-recipient blocks of the
    delivery-status part, as the email package splits them."""
    parts = list(msg.iter_parts())
    status = parts[1]
    assert status.get_content_type() == "message/delivery-status"
    blocks = status.get_payload()
    return blocks[0], blocks[1:]


def assert_sane_lines(raw):
    text = raw.decode("utf-8")
    assert "\r" not in text and "\0" not in text
    for line in text.split("\n"):
        assert len(line.encode()) <= 998, line[:80]


def test_one_bounce_for_three_recipients_parses_back():
    raw, flags = compose(
        "failed|5.1.1|bob@example.com|bob@example.com|mx.example.com|"
        "550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown",
        "failed|5.2.2|carol@example.com||mx.example.com|552 5.2.2 Mailbox full",
        "failed|5.4.4|dave@example.com|||Host or domain name not found",
        arrival=1764660000,
        envid="QQ314159",
    )
    assert_sane_lines(raw)
    msg = parse(raw)
    assert msg["From"].startswith("MAILER-DAEMON@mail.example.org")
    assert msg["To"].addresses[0].addr_spec == "sender@example.org"
    assert msg["Subject"] == "Undelivered Mail Returned to Sender"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg.get_content_type() == "multipart/report"
    assert msg.get_param("report-type") == "delivery-status"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "message/delivery-status", "message/rfc822"]

    human = parts[0].get_content()
    assert "This is the mail system at host mail.example.org." in human
    for who in ("<bob@example.com>", "<carol@example.com>", "<dave@example.com>"):
        assert who in human
    assert "Mailbox full" in human

    per_msg, per_rcpt = report_blocks(msg)
    assert per_msg["Reporting-MTA"] == "dns; mail.example.org"
    assert per_msg["Original-Envelope-Id"] == "QQ314159"
    assert per_msg["Arrival-Date"]
    assert [b["Final-Recipient"] for b in per_rcpt] == [
        "rfc822; bob@example.com", "rfc822; carol@example.com", "rfc822; dave@example.com"]
    assert [b["Action"] for b in per_rcpt] == ["failed"] * 3
    assert [b["Status"] for b in per_rcpt] == ["5.1.1", "5.2.2", "5.4.4"]
    assert per_rcpt[0]["Original-Recipient"] == "rfc822; bob@example.com"
    assert per_rcpt[1]["Original-Recipient"] is None
    assert per_rcpt[0]["Remote-MTA"] == "dns; mx.example.com"
    assert per_rcpt[2]["Remote-MTA"] is None
    # Folded fields unfold to the reply exactly.
    assert per_rcpt[0]["Diagnostic-Code"] == (
        "smtp; 550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown")

    returned = parts[2].get_payload(0)
    assert returned["Subject"] == "quarterly figures"
    assert "the figures are attached." in returned.get_content()
    assert flags == {"eight_bit": False, "smtputf8": False, "headers_only": False}


@pytest.mark.parametrize("hostile", [
    "550 5.1.1 no\r\nContent-Type: text/html\r\n\r\n<b>owned</b>",
    "550 5.1.1 x\n--4ABC123.1764666000/mail.example.org--\nFinal-Recipient: rfc822; forged@evil.example",
    "550 5.1.1 \x1b[31mred\x07\x7f\x0b\x0c tail",
    "550 5.1.1 " + "A" * 100000,
    "550 5.1.1 " + "word " * 20000,
], ids=["crlf-header", "boundary-and-field", "escapes", "100k-one-word", "100k-words"])
def test_hostile_reply_text_cannot_reshape_the_report(hostile):
    raw, _ = compose("failed|5.1.1|bob@example.com||mx.evil.example\r\nX-Injected: 1|" + hostile)
    assert_sane_lines(raw)
    assert b"\nX-Injected" not in raw
    assert b"\nContent-Type: text/html" not in raw
    assert b"\nFinal-Recipient: rfc822; forged" not in raw
    msg = parse(raw)
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "message/delivery-status", "message/rfc822"]
    _, per_rcpt = report_blocks(msg)
    assert len(per_rcpt) == 1
    diag = per_rcpt[0]["Diagnostic-Code"]
    assert diag.startswith("smtp; 550 5.1.1")
    assert all(0x20 <= ord(c) < 0x7f for c in diag)
    assert len(diag) < 1000
    assert per_rcpt[0]["Remote-MTA"].startswith("dns; mx.evil.example")
    assert parts[2].get_payload(0)["Subject"] == "quarterly figures"


def test_boundary_avoids_lines_in_the_original():
    # The default boundary is predictable (queue id, time, host); an original
    # that contains it, and its first fallback, must stay inside its part.
    body = ("--4ABC123.1764666000/mail.example.org\nContent-Type: text/html\n\n<b>fake</b>\n"
            "--4ABC123.1764666000/mail.example.org=_1--\n")
    raw, _ = compose("failed|5.1.1|bob@example.com|||user unknown", original=ORIGINAL + body)
    msg = parse(raw)
    parts = list(msg.iter_parts())
    assert len(parts) == 3
    assert "<b>fake</b>" in parts[2].get_payload(0).get_content()
    assert "=_2" in msg.get_param("boundary")


def test_ret_hdrs_returns_only_the_header():
    raw, flags = compose("failed|5.1.1|bob@example.com|||user unknown", ret="hdrs")
    parts = list(parse(raw).iter_parts())
    assert parts[2].get_content_type() == "text/rfc822-headers"
    text = parts[2].get_content()
    assert "Subject: quarterly figures" in text
    assert "the figures are attached" not in text
    assert flags["headers_only"]


def test_over_bounce_size_limit_returns_only_the_header():
    big = ORIGINAL + ("x" * 70 + "\n") * 2000
    raw, flags = compose("failed|5.1.1|bob@example.com|||user unknown", original=big, limit=50000)
    assert flags["headers_only"]
    assert len(raw) < 10000
    assert list(parse(raw).iter_parts())[2].get_content_type() == "text/rfc822-headers"
    raw, flags = compose("failed|5.1.1|bob@example.com|||user unknown", original=big, limit=500000)
    assert not flags["headers_only"]


def test_delay_warning():
    raw, flags = compose("delayed|4.4.1|bob@example.com||mx.example.com|connect to mx.example.com: Connection refused")
    msg = parse(raw)
    assert msg["Subject"] == "Delayed Mail (still being retried)"
    assert "only a warning" in list(msg.iter_parts())[0].get_content()
    _, per_rcpt = report_blocks(msg)
    assert per_rcpt[0]["Action"] == "delayed"
    assert per_rcpt[0]["Status"] == "4.4.1"
    assert per_rcpt[0]["Will-Retry-Until"]
    assert flags["headers_only"]  # a warning returns the header unless RET=FULL (docs/behaviour.md)


def test_success_report_and_bad_status_defaulted():
    raw, _ = compose("relayed|2.0.0|bob@example.com||mx.example.com|250 2.0.0 Ok: queued",
                     "delivered|bogus|carol@example.com|||delivered to mailbox")
    msg = parse(raw)
    assert msg["Subject"] == "Successful Mail Delivery Report"
    _, per_rcpt = report_blocks(msg)
    assert [b["Action"] for b in per_rcpt] == ["relayed", "delivered"]
    assert per_rcpt[1]["Status"] == "2.0.0"


def test_smtputf8_original_gets_global_types():
    original = "From: j\u00f6rg@example.org\nTo: b\u00fccher@example.com\nSubject: gr\u00fc\u00dfe\n\nhallo\n"
    raw, flags = compose("failed|5.1.1|b\u00fccher@example.com|b\u00fccher@example.com||550 5.1.1 unknown",
                         original=original, sender="j\u00f6rg@example.org")
    assert flags["smtputf8"] and flags["eight_bit"]
    assert_sane_lines(raw)
    msg = parse(raw)
    assert msg.get_param("report-type") == "global-delivery-status"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == [
        "text/plain", "message/global-delivery-status", "message/global"]
    assert "b\u00fccher@example.com" in parts[0].get_content()
    text = raw.decode("utf-8")
    assert "Final-Recipient: utf-8; b\u00fccher@example.com" in text
    assert "Subject: gr\u00fc\u00dfe" in text


def test_eight_bit_body_needs_8bitmime_only():
    original = "From: a@example.org\nSubject: plain\n\ncaf\u00e9\n"
    raw, flags = compose("failed|5.1.1|bob@example.com|||unknown", original=original)
    assert flags["eight_bit"] and not flags["smtputf8"]
    parts = list(parse(raw).iter_parts())
    assert parts[2].get_content_type() == "message/rfc822"
    assert parts[2]["Content-Transfer-Encoding"] == "8bit"
