"""message_size_limit = 0 means no limit, as in Postfix: EHLO offers SIZE
without a number, MAIL FROM with any SIZE= is taken, a message larger than
the default limit is delivered; IMAP offers APPENDLIMIT without a value,
STATUS answers APPENDLIMIT NIL (RFC 7889) and such a message can be
appended; sendmail takes it too."""

import imaplib
import smtplib

from conftest import free_port

BIG = 11 * 1024 * 1024  # above the default 10240000


def big_message(tag):
    line = b"x" * 998 + b"\r\n"
    body = line * (BIG // len(line) + 1)
    return b"Subject: " + tag.encode() + b"\r\n\r\n" + body


def test_zero_means_no_limit(make_tern):
    imap_port = free_port()
    t = make_tern({"message_size_limit": "0", "imap_listen": f"127.0.0.1:{imap_port}"})
    with smtplib.SMTP("127.0.0.1", t.port, timeout=60) as s:
        s.ehlo("client.example")
        assert s.has_extn("size")
        assert s.esmtp_features["size"] == ""  # no number: no fixed maximum (RFC 1870)
        code, _ = s.docmd("MAIL FROM:<a@example.org> SIZE=99999999999")
        assert code == 250
        s.rset()
        s.sendmail("a@example.org", ["alice@virt.test"], big_message("smtp"))
    t.wait_for_mail("alice@virt.test")

    c = imaplib.IMAP4("127.0.0.1", imap_port, timeout=60)
    c.login("alice@virt.test", "secret")
    caps = c.capabilities
    assert "APPENDLIMIT" in caps
    assert not any(cap.startswith("APPENDLIMIT=") for cap in caps)
    typ, data = c.status("INBOX", "(APPENDLIMIT MESSAGES)")
    assert typ == "OK"
    assert b"APPENDLIMIT NIL" in data[0], data
    typ, data = c.append("INBOX", None, None, big_message("imap"))
    assert typ == "OK", data
    c.select("INBOX")
    typ, data = c.search(None, "LARGER", str(BIG))
    assert typ == "OK" and len(data[0].split()) == 2, data  # the SMTP one and the appended one
    c.logout()

    done = t.run("sendmail", "-f", "a@example.org", "bob@virt.test", input=big_message("sendmail").decode(),
                 check=False)
    assert done.returncode == 0, done.stderr
    t.wait_for_mail("bob@virt.test")


def test_a_limit_still_refuses(make_tern):
    """The other side: with a limit, SIZE carries it and a larger MAIL is refused."""
    t = make_tern({"message_size_limit": "1m"})
    with smtplib.SMTP("127.0.0.1", t.port, timeout=30) as s:
        s.ehlo("client.example")
        assert s.esmtp_features["size"] == str(1024 * 1024)
        code, msg = s.docmd("MAIL FROM:<a@example.org> SIZE=2000000")
        assert code == 552 and b"5.3.4" in msg
