"""SMTP smuggling (CVE-2023-51764 and relatives): a bare LF or CR never ends
the data, so one connection's message can never turn into two."""

import pytest

from conftest import RawSMTP

VARIANTS = {
    "lf-dot-lf": b"\n.\n",
    "cr-dot-cr": b"\r.\r",
    "crlf-dot-lf": b"\r\n.\n",
    "lf-dot-crlf": b"\n.\r\n",
    "crlf-dot-cr-crlf": b"\r\n.\r\r\n",
}


def smuggle(port, sep):
    c = RawSMTP(port)
    c.reply()
    c.cmd("EHLO x")
    c.cmd("MAIL FROM:<a@example.org>")
    c.cmd("RCPT TO:<alice@virt.test>")
    assert c.cmd("DATA")[0] == 354
    c.send(b"Subject: one\r\n\r\na" + sep +
           b"MAIL FROM:<x@evil.example>\r\nRCPT TO:<bob@virt.test>\r\nDATA\r\nSubject: spoof\r\n\r\nspoof\r\n.\r\n")
    replies = [c.reply()]
    replies.append(c.cmd("NOOP"))
    return replies


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_reject_mode_refuses_whole_message(tern, name):
    replies = smuggle(tern.port, VARIANTS[name])
    code, text = replies[0]
    assert (code, text[4:9]) == (550, "5.5.2"), text
    assert replies[1][0] == 250  # the spoof text was data, never commands
    tern.wait_queue_empty()
    assert tern.maildir("alice@virt.test") == []
    assert tern.maildir("bob@virt.test") == []


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_normalize_mode_yields_one_message(make_tern, name):
    t = make_tern({"smtpd_forbid_bare_newline": "normalize"})
    replies = smuggle(t.port, VARIANTS[name])
    assert replies[0][0] == 250
    assert replies[1][0] == 250
    msgs = t.wait_for_mail("alice@virt.test")
    assert len(msgs) == 1
    assert b"spoof" in msgs[0].as_bytes()
    t.wait_queue_empty()
    assert t.maildir("bob@virt.test") == []
