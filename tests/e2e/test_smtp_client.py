"""The SMTP client session (smtp/client) against real servers, through the
build's smtp_send driver (tests/tools/smtp_send.cpp) until the remote
delivery agent is wired: Postfix's smtp-sink, aiosmtpd as a smarthost
requiring STARTTLS and AUTH, and hostile fakes (RELIABILITY.md #45)."""

import os
import socket
import ssl
import subprocess
import threading

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from conftest import TERN, free_port, wait_until
from tls_pki import Pki

TOOL = os.path.join(os.path.dirname(TERN), "smtp_send")
MESSAGE = "Subject: hello\n\n.leading dot\nbody line\n"


def send(workdir, port, args, cf="", name="mx.test.example", message=MESSAGE):
    path = os.path.join(workdir, "client.cf")
    with open(path, "w") as f:
        f.write("myhostname = client.test.example\n" + cf)
    out = subprocess.run([TOOL, "--config", path, "--connect", f"127.0.0.1:{port}", "--server-name", name,
                          "--from", "sender@example.org", *args],
                         input=message.encode(), capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    rcpts, session = [], {}
    for line in out.stdout.decode("utf-8", "replace").splitlines():
        kind, rest = line.split(" ", 1)
        if kind == "rcpt":
            _, rest = rest.split(" ", 1)
            head, diag = rest.split(" diag=", 1)
            r = dict(kv.split("=", 1) for kv in head.split())
            r["diag"] = diag
            rcpts.append(r)
        elif kind == "session":
            head, tls = rest.split(" tls=", 1)
            session = dict(kv.split("=", 1) for kv in head.split())
            session["tls"] = tls
    return rcpts, session, out.stderr.decode("utf-8", "replace")


def listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@pytest.fixture
def sink(workdir):
    """Factory: sink(*options) starts smtp-sink dumping messages into workdir."""
    procs = []

    def start(*options):
        port = free_port()
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        p = subprocess.Popen(["smtp-sink", *user, *options, "-D", os.path.join(workdir, "msg-"),
                              f"127.0.0.1:{port}", "10"], stderr=subprocess.DEVNULL)
        procs.append(p)
        wait_until(lambda: listening(port), what="smtp-sink listening")
        return port

    yield start
    for p in procs:
        p.terminate()
        p.wait()


def dumps(workdir):
    return [os.path.join(workdir, f) for f in os.listdir(workdir) if f.startswith("msg-")]


def test_pipelined_delivery_to_smtp_sink(workdir, sink):
    port = sink()
    rcpts, session, _ = send(workdir, port, ["--to", "a@example.com|SUCCESS|rfc822;a@example.com",
                                             "--to", "b@example.com", "--to", "c@example.com"],
                             cf="smtp_tls_security_level = none\n")
    assert [r["outcome"] for r in rcpts] == ["sent"] * 3, rcpts
    assert all(r["dsn"] == "2.0.0" and r["accepted"] == "1" for r in rcpts)
    assert session["try_next_host"] == "0"
    wait_until(lambda: dumps(workdir), what="the message dumped")
    text = open(dumps(workdir)[0]).read()
    assert text.count("X-Rcpt-Args:") == 3
    assert "NOTIFY=SUCCESS ORCPT=rfc822;a@example.com" in text
    assert "\n.leading dot\nbody line\n" in text  # dot-stuffed on the wire, unstuffed by the sink


def test_mail_refused_with_4xx_tries_the_next_host(workdir, sink):
    port = sink("-r", "mail")
    rcpts, session, _ = send(workdir, port, ["--to", "a@example.com"], cf="smtp_tls_security_level = none\n")
    assert rcpts[0]["outcome"] == "deferred"
    assert rcpts[0]["dsn"].startswith("4.")
    assert "(in reply to MAIL FROM command)" in rcpts[0]["diag"]
    assert session["try_next_host"] == "1"
    assert not dumps(workdir)


def test_every_recipient_refused_sends_no_content(workdir, sink):
    port = sink("-f", "rcpt")
    rcpts, session, _ = send(workdir, port, ["--to", "a@example.com", "--to", "b@example.com"],
                             cf="smtp_tls_security_level = none\n")
    assert [r["outcome"] for r in rcpts] == ["bounced", "bounced"]
    assert all("(in reply to RCPT TO command)" in r["diag"] and r["accepted"] == "0" for r in rcpts)
    assert session["try_next_host"] == "0"
    assert not dumps(workdir)


def test_disconnect_at_data_defers_without_next_host(workdir, sink):
    port = sink("-q", "data")
    rcpts, session, _ = send(workdir, port, ["--to", "a@example.com"], cf="smtp_tls_security_level = none\n")
    assert rcpts[0]["outcome"] == "deferred"
    assert rcpts[0]["dsn"] == "4.4.2"
    assert rcpts[0]["diag"].startswith("lost connection with mx.test.example[127.0.0.1] while sending")
    assert session["try_next_host"] == "0"  # MAIL was answered: this mail's part, not the host's


def test_policy_map_encrypt_refuses_a_server_without_starttls(workdir, sink):
    port = sink()
    cf = f"smtp_tls_security_level = may\nsmtp_tls_policy_maps = inline:{{ [mx.test.example]:{port}=encrypt }}\n"
    rcpts, session, _ = send(workdir, port, ["--next-hop", f"[mx.test.example]:{port}", "--to", "a@example.com"], cf=cf)
    assert rcpts[0]["outcome"] == "deferred"
    assert rcpts[0]["dsn"] == "4.7.4"
    assert rcpts[0]["diag"] == "TLS is required, but was not offered by host mx.test.example[127.0.0.1]"
    assert session["try_next_host"] == "1"
    assert not dumps(workdir)


class Smarthost:
    """aiosmtpd requiring STARTTLS, then AUTH (PLAIN or LOGIN) as alice/secret."""

    def __init__(self, workdir):
        self.pki = Pki(workdir)
        cert, key = self.pki.issue("smarthost", names=("mx.test.example",))
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        self.messages = []
        self.port = free_port()

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login == b"alice" and auth_data.password == b"secret"
            return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 535

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, tls_context=ctx,
                                     require_starttls=True, auth_required=True, auth_require_tls=True,
                                     authenticator=authenticator)
        self.controller.start()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content,
                              session.authenticated, session.ssl is not None))
        return "250 2.0.0 Ok: queued as SMART1"

    def stop(self):
        self.controller.stop()


@pytest.fixture
def smarthost(workdir):
    s = Smarthost(workdir)
    yield s
    s.stop()


def test_smarthost_with_starttls_and_auth_plain(workdir, smarthost):
    cf = f"smtp_tls_CAfile = {smarthost.pki.ca}\nsmtp_tls_loglevel = 1\n"
    rcpts, session, log = send(workdir, smarthost.port, ["--level", "verify", "--to", "a@example.com",
                                                         "--to", "b@example.com", "--user", "alice",
                                                         "--password", "secret"], cf=cf)
    assert [r["outcome"] for r in rcpts] == ["sent", "sent"], rcpts
    assert rcpts[0]["diag"] == "250 2.0.0 Ok: queued as SMART1"
    assert session["trust"] == "Verified"
    assert session["tls"].startswith("TLSv1.")
    assert f"Verified TLS connection established to mx.test.example[127.0.0.1]:{smarthost.port}: TLSv1." in log
    assert len(smarthost.messages) == 1
    sender, rcpt_tos, content, authenticated, over_tls = smarthost.messages[0]
    assert sender == "sender@example.org" and rcpt_tos == ["a@example.com", "b@example.com"]
    assert authenticated and over_tls
    assert content == b"Subject: hello\r\n\r\n.leading dot\r\nbody line\r\n"


def test_smarthost_wrong_password_defers(workdir, smarthost):
    cf = f"smtp_tls_CAfile = {smarthost.pki.ca}\n"
    rcpts, session, _ = send(workdir, smarthost.port, ["--to", "a@example.com", "--user", "alice",
                                                       "--password", "wrong"], cf=cf)
    assert rcpts[0]["outcome"] == "deferred"
    assert rcpts[0]["diag"].startswith(
        "SASL authentication failed; server mx.test.example[127.0.0.1] said: 535")
    assert rcpts[0]["dsn"].startswith("4.")
    assert session["try_next_host"] == "1"
    assert smarthost.messages == []


def test_verify_refuses_a_certificate_for_another_name(workdir, smarthost):
    cf = f"smtp_tls_CAfile = {smarthost.pki.ca}\n"
    rcpts, session, _ = send(workdir, smarthost.port, ["--level", "verify", "--to", "a@example.com", "--user",
                                                       "alice", "--password", "secret"],
                             cf=cf, name="other.test.example")
    assert rcpts[0]["outcome"] == "deferred"
    assert rcpts[0]["dsn"] == "4.7.5"
    assert rcpts[0]["diag"].startswith("Server certificate not verified")
    assert session["trust"] == "Trusted"  # the chain is good, the name is not
    assert session["try_next_host"] == "1"
    assert smarthost.messages == []


def test_no_password_without_tls(workdir, sink):
    # smtp-sink offers AUTH but no STARTTLS: noplaintext (the default) keeps the password home.
    port = sink()
    rcpts, session, _ = send(workdir, port, ["--to", "a@example.com", "--user", "alice", "--password",
                                             "secret"], cf="smtp_tls_security_level = none\n")
    assert rcpts[0]["outcome"] == "deferred"
    assert "no mechanism available" in rcpts[0]["diag"]
    assert not dumps(workdir)


class Hostile:
    """A one-connection server running `script(conn)` in a thread."""

    def __init__(self, script):
        self.port = free_port()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(1)
        self.seen = []
        self.error = None
        self.thread = threading.Thread(target=self.run, args=(script,), daemon=True)
        self.thread.start()

    def run(self, script):
        conn, _ = self.sock.accept()
        try:
            script(conn, self)
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = e
        finally:
            conn.close()
            self.sock.close()


def read_line(conn, buf):
    while b"\n" not in buf[0]:
        data = conn.recv(65536)
        if not data:
            raise EOFError
        buf[0] += data
    line, buf[0] = buf[0].split(b"\n", 1)
    return line + b"\n"


def test_hostile_server_case_45(workdir):
    pki = Pki(workdir)
    cert, key = pki.issue("hostile", names=("mx.test.example",))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)

    def script(conn, h):
        buf = [b""]
        conn.sendall(b"220 hostile ESMTP\r\n")
        h.seen.append(read_line(conn, buf))  # EHLO
        conn.sendall(b"250-hostile\r\n250-\r\n250-X\x00Y\rZ\r\n250-" + b"A" * 3000 + b"\r\n250 STARTTLS\r\n")
        h.seen.append(read_line(conn, buf))  # STARTTLS
        conn.sendall(b"220 Ready to start TLS\r\n250-injected\r\n")
        tls = ctx.wrap_socket(conn, server_side=True)
        buf = [b""]
        h.seen.append(b"TLS:" + read_line(tls, buf))  # EHLO again, inside TLS
        tls.sendall(b"250-hostile\r\n250 PIPELINING\r\n")
        for _ in range(4):  # MAIL, RCPT, RCPT, DATA
            h.seen.append(read_line(tls, buf))
        tls.sendall(b"250 ok\r\n550 5.1.1 <a@example.com>: \x1b[31mno\x07 such\x00 user\r\n250 ok\r\n354 go\r\n")
        body = b""
        while not body.endswith(b"\r\n.\r\n"):
            body += read_line(tls, buf)
        h.seen.append(body)
        tls.sendall(b"250 2.0.0 Ok: queued as HOSTILE\r\n")
        h.seen.append(read_line(tls, buf))  # QUIT
        tls.sendall(b"221 bye\r\n")

    h = Hostile(script)
    rcpts, session, log = send(workdir, h.port, ["--level", "may", "--to", "a@example.com", "--to", "b@example.com"],
                               cf=f"smtp_tls_CAfile = {pki.ca}\n")
    h.thread.join(10)
    assert h.error is None, h.error
    assert h.seen[2] == b"TLS:EHLO client.test.example\r\n"  # not answered by the injected plaintext
    assert "byte(s) of plaintext after the STARTTLS reply discarded" in log
    assert rcpts[0]["outcome"] == "bounced"
    assert rcpts[0]["diag"] == ("host mx.test.example[127.0.0.1] said: 550 5.1.1 <a@example.com>: ?[31mno? such? "
                                "user (in reply to RCPT TO command)")
    assert rcpts[1]["outcome"] == "sent"
    assert session["trust"] == "Verified"
    assert h.seen[-2] == b"Subject: hello\r\n\r\n..leading dot\r\nbody line\r\n.\r\n"


@pytest.mark.parametrize("reply,words", [
    (b"HELLO there\r\n", "malformed reply: no valid reply code"),
    (b"250 " + b"A" * 100000 + b"\r\n", "reply is too long"),
    (b"250-a\r\n" * 200, "reply has too many lines"),
])
def test_garbage_replies_defer_with_a_reason(workdir, reply, words):
    def script(conn, h):
        buf = [b""]
        conn.sendall(b"220 ok\r\n")
        read_line(conn, buf)
        conn.sendall(b"250 ok\r\n")
        read_line(conn, buf)  # MAIL
        conn.sendall(reply)
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass

    h = Hostile(script)
    rcpts, session, _ = send(workdir, h.port, ["--level", "none", "--to", "a@example.com"])
    assert rcpts[0]["outcome"] == "deferred"
    assert rcpts[0]["dsn"] == "4.4.2"
    assert rcpts[0]["diag"] == f"protocol error with mx.test.example[127.0.0.1] while sending MAIL FROM: {words}"
    assert session["try_next_host"] == "1"
