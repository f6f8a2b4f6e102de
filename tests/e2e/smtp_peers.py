"""Remote SMTP servers for the remote-delivery tests, on loopback: a
recording server on Python's aiosmtpd (Debian's python3-aiosmtpd) whose
replies a test scripts per recipient or per attempt, and two hostile peers
on plain sockets (one that answers garbage, one that never speaks). Each
is started by the test and stopped after it."""

import socket
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from conftest import free_port, wait_until


class Recorder:
    """aiosmtpd handler: records each transaction; `rcpt_replies` maps an
    address to the reply its RCPT gets, `data_replies` is a list of replies
    for the next DATAs (then 250)."""

    def __init__(self):
        self.messages = []  # (mail_from, [rcpts], content bytes, mail_options)
        self.rcpt_replies = {}
        self.data_replies = []
        self.transactions = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.rcpt_replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.append(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.transactions += 1
            if self.data_replies:
                return self.data_replies.pop(0)
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content,
                                  list(envelope.mail_options), list(envelope.rcpt_options), session))
        return "250 2.0.0 Ok: queued as REMOTE1"

    def recipients(self):
        return sorted(r for m in self.messages for r in m[1])


class SmtpPeer:
    """An aiosmtpd server on host:port (port 0: a free one)."""

    def __init__(self, host="127.0.0.1", port=0, tls_context=None, auth=None, require_tls=False, ident=None,
                 idle_timeout=None):
        self.handler = Recorder()
        self.host, self.port = host, port or free_port()
        kwargs = {}
        if tls_context is not None:
            kwargs.update(tls_context=tls_context, require_starttls=require_tls)
        if auth:
            user, password = auth

            def check(server, session, envelope, mechanism, data):
                ok = isinstance(data, LoginPassword) and data.login.decode() == user and data.password.decode() == password
                return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 535

            kwargs.update(authenticator=check, auth_required=True, auth_require_tls=tls_context is not None)
        if idle_timeout is not None:
            kwargs["timeout"] = idle_timeout  # aiosmtpd says 421 and closes an idle connection after it
        self.controller = Controller(self.handler, hostname=host, port=self.port, ident=ident or "peer.test ESMTP",
                                     server_hostname=host, **kwargs)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()


class RawPeer:
    """A TCP server whose every connection runs `behave(conn)` in a thread."""

    def __init__(self, behave, host="127.0.0.1", port=0):
        self.behave, self.host = behave, host
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port or free_port()))
        self.port = self.sock.getsockname()[1]
        self.sock.listen(16)
        self.connections = 0
        self.conns = []
        self.stopped = False
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            self.conns.append(c)
            threading.Thread(target=self._run, args=(c,), daemon=True).start()

    def _run(self, c):
        try:
            self.behave(c)
        except OSError:
            pass

    def stop(self):
        self.stopped = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() of _loop, so the port is free at once
        except OSError:
            pass
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


def garbage(conn):
    """Greets, then answers every line with bytes no SMTP server sends."""
    conn.sendall(b"220 garbage.test ESMTP\r\n")
    f = conn.makefile("rb")
    while f.readline():
        conn.sendall(b"25O-\x00\xff nonsense\r\nxyz\r\n99999999999999 what\r\n")


def busy(conn):
    """Greets with 421, as a host that is overloaded or shutting down."""
    conn.sendall(b"421 4.3.2 busy.test too busy, try later\r\n")
    conn.recv(100)


def silent(conn):
    """Accepts and never says a word (a tarpit)."""
    conn.recv(1)


def wait_for_peer_messages(peer, count, timeout=15):
    wait_until(lambda: len(peer.handler.messages) >= count, timeout=timeout,
               what=f"{count} message(s) at the peer")


def connections_seen(peer):
    """The distinct SMTP connections that carried the peer's messages."""
    return len({id(m[5]) for m in peer.handler.messages})
