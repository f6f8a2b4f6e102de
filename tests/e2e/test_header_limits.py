"""Header limits (issue 7 item 10, RELIABILITY.md #23): header_size_limit
bytes and header_line_limit lines of header section, over which a message
is rejected with 552 5.3.4, in little server CPU time whatever the bomb."""

import smtplib

import pytest

from conftest import RawSMTP

BIG = {"message_size_limit": str(40 << 20)}  # so the size limit is not what triggers


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100.0  # utime + stime, in clock ticks


def data_reply(t, header, body=b"body\r\n"):
    c = RawSMTP.at_data(t.port)
    c.send(header + b"\r\n" + body + b".\r\n")
    code, text = c.reply()
    assert c.cmd("NOOP")[0] == 250  # the session goes on
    c.cmd("QUIT")
    return code, text


def header_of(nbytes_lf, lines):
    """A header section of exactly nbytes_lf bytes (LF line ends, as stored)
    in `lines` lines, sent with CRLF."""
    assert nbytes_lf >= lines * 12
    out, left = [], nbytes_lf
    for i in range(lines):
        n = left // (lines - i)
        line = f"X-F{i:05d}: ".encode()
        line += b"v" * (n - len(line) - 1)
        out.append(line)
        left -= n
    return b"".join(x + b"\r\n" for x in out)


@pytest.mark.parametrize("bomb", ["to_lines", "folded_20mb"])
def test_header_bombs_are_rejected_quickly(make_tern, bomb):
    t = make_tern(BIG)
    if bomb == "to_lines":
        header = b"Subject: bomb\r\n" + b"To: a@b\r\n" * 200000
    else:
        # Long continuation lines: the byte limit, not the line limit, triggers.
        header = b"Subject: bomb\r\nX-Big: start\r\n" + (b" " + b"folded " * 150 + b"\r\n") * 20000
        assert len(header) > 20 << 20
    before = cpu_seconds(t.proc.pid)
    code, text = data_reply(t, header)
    assert (code, text[4:9]) == (552, "5.3.4"), text
    assert ("header lines" if bomb == "to_lines" else "size exceeds") in text
    assert cpu_seconds(t.proc.pid) - before < 5.0
    assert t.maildir("alice@virt.test") == []
    assert [f for f in t.queue_files() if not f.startswith("corrupt/")] == []
    assert "reject: END-OF-MESSAGE" in t.log()


def test_header_bomb_in_bdat(make_tern):
    t = make_tern(BIG)
    c = RawSMTP(t.port)
    assert c.reply()[0] == 220
    assert c.cmd("EHLO client.example")[0] == 250
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
    assert c.cmd("RCPT TO:<alice@virt.test>")[0] == 250
    lines = b"To: a@b\r\n" * 200000
    half = len(lines) // 2
    c.send(f"BDAT {half}\r\n".encode() + lines[:half])
    assert c.reply()[0] == 250
    rest = lines[half:] + b"\r\nbody\r\n"
    c.send(f"BDAT {len(rest)} LAST\r\n".encode() + rest)
    code, text = c.reply()
    assert (code, text[4:9]) == (552, "5.3.4"), text
    assert c.cmd("NOOP")[0] == 250
    assert t.maildir("alice@virt.test") == []


def test_limits_are_exact(make_tern):
    t = make_tern({"header_size_limit": "20000", "header_line_limit": "100"})
    # Just under both limits: delivered intact.
    ok = header_of(20000, 100)
    assert data_reply(t, ok)[0] == 250
    msg = t.wait_for_mail("alice@virt.test")[0]
    assert msg["X-F00000"] == "v" * (200 - 10 - 1)
    assert msg["X-F00099"].startswith("v")
    raw = msg.as_bytes()
    assert raw.replace(b"\r\n", b"\n").count(b"\nX-F") == 100
    assert raw.rstrip().endswith(b"body")
    # One byte more, or one line more: refused.
    code, text = data_reply(t, header_of(20001, 100))
    assert (code, text[4:9]) == (552, "5.3.4"), text
    assert "size exceeds" in text
    code, text = data_reply(t, header_of(2000, 101))
    assert (code, text[4:9]) == (552, "5.3.4"), text
    assert "header lines" in text
    assert len(t.maildir("alice@virt.test")) == 1


def test_default_limit_and_the_body_is_not_counted(make_tern):
    t = make_tern(BIG)
    # A long body and a body line that looks like a header are not headers.
    body = b"X-Not-A-Header: 1\r\n" * 50000
    assert data_reply(t, b"Subject: big body\r\n", body)[0] == 250
    assert t.wait_for_mail("alice@virt.test")[0]["Subject"] == "big body"
    code, _ = data_reply(t, header_of(102400, 1000))
    assert code == 250
    code, text = data_reply(t, header_of(102401, 1000))
    assert (code, text[4:9]) == (552, "5.3.4"), text


def test_sendmail_header_limits(make_tern):
    t = make_tern({"header_line_limit": "50"})
    many = b"".join(b"To: a@b\n" for _ in range(51)) + b"\nbody\n"
    r = t.run("sendmail", "-i", "-f", "s@example.org", "alice@virt.test", input=many, check=False)
    assert r.returncode == 65 and b"header" in r.stderr, r.stderr
    # 50 lines with the From:, Date: and Message-ID: that sendmail would add.
    fifty = (b"".join(b"To: a@b\n" for _ in range(46)) + b"From: s@example.org\nDate: Wed, 2 Dec 2026 05:00:00 +0000\n"
             b"Message-ID: <x@example.org>\nSubject: fits\n\nbody\n")
    t.run("sendmail", "-i", "-f", "s@example.org", "alice@virt.test", input=fifty)
    assert t.wait_for_mail("alice@virt.test")[0]["Subject"] == "fits"
    # With the daemon stopped, sendmail writes the queue itself: same limit.
    t.stop()
    r = t.run("sendmail", "-i", "-f", "s@example.org", "alice@virt.test", input=many, check=False)
    assert r.returncode == 65 and b"header" in r.stderr, r.stderr
    assert [f for f in t.queue_files() if f.startswith("active/")] == []


def test_smtplib_client_sees_the_reply(make_tern):
    t = make_tern({"header_line_limit": "10"})
    msg = b"".join(b"Comments: %d\r\n" % i for i in range(11)) + b"\r\nbody\r\n"
    with smtplib.SMTP("127.0.0.1", t.port) as s:
        with pytest.raises(smtplib.SMTPDataError) as e:
            s.sendmail("a@example.org", ["alice@virt.test"], msg)
        assert e.value.smtp_code == 552
