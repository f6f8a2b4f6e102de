"""IMAP extensions against the real binary: LITERAL- beside LITERAL+ (RFC
7888), UTF8=ACCEPT (RFC 6855) with Python's imaplib, which speaks UTF-8
once it has enabled it, and CATENATE (RFC 4469) over a raw socket, which
imaplib cannot send. Beyond the happy path: a non-synchronising literal
over 4096 bytes, invalid UTF-8 names, bad and foreign URLs, a catenated
message over the size limit; Dovecot reads the UTF-8 folders tern made."""

import imaplib
import os
import re
import socket

import pytest

from conftest import free_port
from dovecot_peer import Dovecot, have_dovecot
from test_imap import connect, ok

ALICE = "alice@virt.test"


@pytest.fixture
def imap(make_tern):
    port = free_port()
    t = make_tern({"imap_listen": f"127.0.0.1:{port}", "smtpd_sasl_failure_sleep_time": "0",
                   "message_size_limit": "200000"})
    t.imap_port = port
    return t


class Raw:
    """A client that writes bytes as they are and reads up to a tagged line."""

    def __init__(self, tern):
        self.sock = socket.create_connection(("127.0.0.1", tern.imap_port), timeout=30)
        self.buf = b""
        self.greeting = self.until(b"\r\n")

    def until(self, marker):
        while marker not in self.buf:
            chunk = self.sock.recv(65536)
            assert chunk, self.buf[-500:]
            self.buf += chunk
        end = self.buf.index(marker) + len(marker)
        got, self.buf = self.buf[:end], self.buf[end:]
        return got

    def tagged(self, tag, data=b""):
        """Sends data, returns everything up to and including tag's answer."""
        if data:
            self.sock.sendall(data)
        seen = b""
        while True:
            line = self.until(b"\r\n")
            seen += line
            if line.startswith(tag + b" "):
                return seen

    def close(self):
        self.sock.close()


def test_literal_minus_is_advertised_and_a_big_nonsync_literal_keeps_step(imap):
    r = Raw(imap)
    caps = r.greeting.split()
    assert b"LITERAL+" in caps and b"LITERAL-" in caps, r.greeting
    # Non-synchronising literals before login, then an APPEND over LITERAL-'s
    # 4096 bytes (LITERAL+ takes it) with a command pipelined right behind it.
    out = r.tagged(b"a", b"a LOGIN {15+}\r\nalice@virt.test {6+}\r\nsecret\r\n")
    assert re.search(rb"^a OK ", out, re.M) and not re.search(rb"^\+ ", out, re.M), out
    msg = b"Subject: big\r\n\r\n" + b"x" * 5000 + b"\r\n"
    out = r.tagged(b"c", b"b APPEND INBOX {%d+}\r\n%s\r\nc NOOP\r\n" % (len(msg), msg))
    assert re.search(rb"b OK \[APPENDUID \d+ 1\]", out) and b"c OK NOOP" in out, out
    assert not re.search(rb"^\+ ", out, re.M), out
    r.close()
    c = connect(imap)
    ok(c.select("INBOX"))
    body = ok(c.fetch("1", "(BODY.PEEK[TEXT])"))[0][1]
    assert body == b"x" * 5000 + b"\r\n"
    c.logout()


def test_utf8_accept_with_imaplib(imap):
    c = connect(imap)
    assert "UTF8=ACCEPT" in c.capabilities
    ok(c.create("Entw&APw-rfe"))  # made before ENABLE, in modified UTF-7
    ok(c.enable("UTF8=ACCEPT"))
    assert c.response("ENABLED") == ("ENABLED", [b"UTF8=ACCEPT"])
    # imaplib sends its arguments as UTF-8 from now on (it does not quote them).
    ok(c.create('"Gr\u00fc\u00dfe.\u65e5\u672c"'))
    listed = b"\n".join(ok(c.list('""', "*")))
    assert '"Entw\u00fcrfe"'.encode() in listed and '"Gr\u00fc\u00dfe.\u65e5\u672c"'.encode() in listed, listed
    assert b"&" not in listed, listed
    assert b"Gr\xc3\xbc\xc3\x9fe" in b"\n".join(ok(c.list('""', '"Gr\u00fc%"')))
    status = ok(c.status('"Entw\u00fcrfe"', "(MESSAGES)"))[0]
    assert status == '"Entw\u00fcrfe" (MESSAGES 0)'.encode(), status
    ok(c.subscribe('"Gr\u00fc\u00dfe.\u65e5\u672c"'))
    assert '"Gr\u00fc\u00dfe.\u65e5\u672c"'.encode() in b"\n".join(ok(c.lsub('""', "*")))
    ok(c.rename('"Entw\u00fcrfe"', '"Brouillons \u00e9t\u00e9"'))
    # Invalid UTF-8: BAD with a plain reason, nothing made.
    with pytest.raises(imaplib.IMAP4.error, match="not valid UTF-8"):
        c._simple_command("CREATE", b'"Entw\xfcrfe"')
    with pytest.raises(imaplib.IMAP4.error, match="not valid UTF-8"):
        c._simple_command("CREATE", b'"\xed\xa0\x80"')
    ok(c.noop())
    c.logout()
    root = imap.maildir_path(ALICE)
    dirs = sorted(d for d in os.listdir(root) if d.startswith("."))
    assert ".Gr&APwA3w-e.&ZeVnLA-" in dirs and ".Brouillons &AOk-t&AOk-" in dirs, dirs
    assert not any(b"\xfc" in os.fsencode(d) or "Entw" in d for d in dirs), dirs


def test_utf8_append_form_and_search_without_charset(imap):
    """RFC 6855 4: APPEND's UTF8 (~{n}) form. imaplib's own append() in
    UTF-8 mode puts "UTF8 (" inside the literal it counts, which is not the
    RFC's form: the raw socket sends the real one."""
    r = Raw(imap)
    r.tagged(b"a", b"a LOGIN alice@virt.test secret\r\n")
    assert b"* ENABLED UTF8=ACCEPT" in r.tagged(b"b", b"b ENABLE UTF8=ACCEPT\r\n")
    msg = "Subject: Gr\u00fc\u00dfe aus K\u00f6ln\r\nFrom: J\u00f6rg <j@example.org>\r\n\r\nHallo\r\n".encode()
    out = r.tagged(b"c", b"c APPEND INBOX (\\Seen) UTF8 (~{%d+}\r\n%s)\r\n" % (len(msg), msg))
    assert re.search(rb"c OK \[APPENDUID \d+ 1\]", out), out
    out = r.tagged(b"d", b'd CREATE "\xe2\x9c\x89 Post"\r\n')
    assert b"d OK" in out, out
    # A synchronising literal8 into a folder named in UTF-8.
    r.sock.sendall(b'e APPEND "\xe2\x9c\x89 Post" UTF8 (~{%d}\r\n' % len(msg))
    assert r.until(b"\r\n").startswith(b"+ ")
    out = r.tagged(b"e", msg + b")\r\n")
    assert re.search(rb"e OK \[APPENDUID \d+ 1\]", out), out
    r.close()
    assert os.path.isdir(os.path.join(imap.maildir_path(ALICE), ".&Jwk- Post", "cur"))
    c = connect(imap)
    ok(c.enable("UTF8=ACCEPT"))
    ok(c.select("INBOX"))
    # No CHARSET after ENABLE (imaplib refuses one); the UTF-8 text is found.
    assert ok(c.search(None, "SUBJECT", '"K\u00f6ln"')) == [b"1"]
    assert ok(c.search(None, "SUBJECT", '"Wien"')) == [b""]
    assert ok(c.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"))[0][1].startswith(
        "Subject: Gr\u00fc\u00dfe aus K\u00f6ln".encode())
    c.logout()


@pytest.mark.skipif(not have_dovecot(), reason="Dovecot (dovecot-imapd) not installed")
def test_dovecot_lists_the_utf8_folders_tern_made(imap, workdir):
    c = connect(imap)
    ok(c.enable("UTF8=ACCEPT"))
    ok(c.create('"Entw\u00fcrfe"'))
    ok(c.create('"\u65e5\u672c\u8a9e.Tom & Jerry"'))
    c.logout()
    dc = Dovecot(workdir, imap.vmail)
    imap.stop()
    dc.hand_over()
    dc.start()
    try:
        d = imaplib.IMAP4("127.0.0.1", dc.imap_port, timeout=30)
        d.login(ALICE, "anything")
        listed = b"\n".join(ok(d.list('""', "*")))
        d.logout()
    finally:
        dc.stop()
    assert b"Entw&APw-rfe" in listed and b"&ZeVnLIqe-.Tom &- Jerry" in listed, listed


def _catenate_session(imap):
    r = Raw(imap)
    r.tagged(b"a", b"a LOGIN alice@virt.test secret\r\n")
    return r


def test_catenate_builds_a_forward_from_parts(imap):
    c = connect(imap)
    original = (b"From: Bob <bob@example.org>\r\nSubject: report\r\nMIME-Version: 1.0\r\n"
                b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\n"
                b"the text\r\n--XX\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
                b"\r\nAAECAw==\r\n--XX--\r\n")
    typ, data = c.append("INBOX", None, None, original)
    uid = int(re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1))
    validity = int(re.search(rb"UIDVALIDITY (\d+)", ok(c.status("INBOX", "(UIDVALIDITY)"))[0]).group(1))
    c.logout()
    r = _catenate_session(imap)
    head = b"From: alice@virt.test\r\nSubject: Fwd: report\r\nMIME-Version: 1.0\r\n" \
           b"Content-Type: multipart/mixed; boundary=YY\r\n\r\n--YY\r\nContent-Type: text/plain\r\n\r\nsee below\r\n--YY\r\n"
    tail = b"\r\n--YY--\r\n"
    cmd = (b"b APPEND Drafts (\\Draft) CATENATE (TEXT {%d+}\r\n%s URL \"/INBOX;UIDVALIDITY=%d/;UID=%d/;SECTION=2.MIME\" "
           b"URL \"/INBOX/;UID=%d/;SECTION=2\" TEXT {%d+}\r\n%s)\r\n" % (len(head), head, validity, uid, uid, len(tail), tail))
    out = r.tagged(b"b", cmd)
    assert re.search(rb"b OK \[APPENDUID \d+ 1\]", out), out
    # BADURL for what names nothing; the session stays in step.
    out = r.tagged(b"c", b'c APPEND Drafts CATENATE (URL "/INBOX/;UID=999")\r\n')
    assert b'c NO [BADURL /INBOX/;UID=999]' in out, out
    out = r.tagged(b"d", b'd APPEND Drafts CATENATE (URL "imap://bob%40virt.test@localhost/INBOX/;UID=1")\r\n')
    assert b"d NO [BADURL imap://bob%40virt.test@localhost/INBOX/;UID=1]" in out, out
    out = r.tagged(b"e", b'e APPEND Drafts CATENATE (TEXT {150000+}\r\n' + b"z" * 150000 +
                   b' URL "/INBOX/;UID=%d" TEXT {60000}\r\n' % uid)
    assert b"e NO [TOOBIG]" in out and not re.search(rb"^\+ ", out, re.M), out  # refused before the "+"
    # MULTIAPPEND with CATENATE, the selected mailbox's relative form.
    r.tagged(b"f", b"f SELECT INBOX\r\n")
    out = r.tagged(b"g", b'g APPEND Drafts CATENATE (URL ";UID=%d/;SECTION=1") {5+}\r\nhello\r\n' % uid)
    assert re.search(rb"g OK \[APPENDUID \d+ 2:3\]", out), out
    r.close()
    c = connect(imap)
    ok(c.select("Drafts"))
    got = ok(c.fetch("1:*", "(FLAGS BODY.PEEK[])"))
    c.logout()
    bodies = [x[1] for x in got if isinstance(x, tuple)]
    assert bodies[0] == (head + b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                         + b"AAECAw==" + tail), bodies[0]
    assert bodies[1] == b"the text" and bodies[2] == b"hello", bodies
    assert b"\\Draft" in got[0][0]
