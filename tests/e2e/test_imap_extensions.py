"""IMAP extensions against the real binary: LITERAL- beside LITERAL+ (RFC
7888). Beyond the happy path: a non-synchronising literal over 4096 bytes
with a command pipelined behind it."""

import re
import socket

import pytest

from conftest import free_port
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
