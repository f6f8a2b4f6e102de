"""What the IMAP e2e tests of one account share: tern with an IMAP
listener (the `imap` fixture), mail delivered to alice over SMTP, an
imaplib client logged in as her, and one raw command with its replies."""

import imaplib
import smtplib

import pytest

from conftest import free_port

ALICE = "alice@virt.test"


def deliver(tern, subject):
    msg = f"From: s@example.org\r\nTo: {ALICE}\r\nSubject: {subject}\r\n\r\nbody\r\n"
    with smtplib.SMTP("127.0.0.1", tern.port, timeout=30) as s:
        s.sendmail("s@example.org", [ALICE], msg)


@pytest.fixture
def imap(make_tern):
    port = free_port()
    t = make_tern({"imap_listen": f"127.0.0.1:{port}"})
    t.imap_port = port
    return t


def connect(tern):
    c = imaplib.IMAP4("127.0.0.1", tern.imap_port, timeout=30)
    c.login(ALICE, "secret")
    return c


def ok(result):
    typ, data = result
    assert typ == "OK", (typ, data)
    return data


def raw(c, command):
    """Sends one command as UTF-8 bytes (imaplib's own commands take no
    SELECT parameters and check states); returns (tagged text, untagged
    lines, tag)."""
    tag = c._new_tag().decode()
    c.send(f"{tag} {command}\r\n".encode())
    lines = []
    while True:
        line = c.readline().decode().rstrip("\r\n")
        if line.startswith(tag + " "):
            return line[len(tag) + 1:], lines, tag
        lines.append(line)
