"""The demo (`tern serve --demo`, the README's first command) makes a
self-signed certificate on its first start, so STARTTLS and port 2465 work
out of the box; the key is mode 0600 and is not rewritten on the next start."""

import os
import smtplib
import socket
import ssl
import stat
import subprocess

import pytest

from conftest import TERN, wait_until

PORTS = (2525, 2587, 2465)


def port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as tern binds: TIME_WAIT is no obstacle
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def start_demo(cwd):
    proc = subprocess.Popen([TERN, "serve", "--demo"], cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(cwd, "stderr.log"), "ab"))

    def ready():
        assert proc.poll() is None, open(os.path.join(cwd, "stderr.log")).read()
        try:
            with socket.create_connection(("127.0.0.1", 2525), timeout=1) as s:
                return s.recv(100).startswith(b"220")
        except OSError:
            return False

    wait_until(ready, what="the demo to listen")
    return proc


def stop(proc):
    proc.terminate()
    proc.wait(timeout=15)


def test_demo_makes_a_self_signed_certificate_and_offers_tls(workdir):
    if not all(port_free(p) for p in PORTS):
        pytest.skip("a demo port (2525, 2587, 2465) is taken on this machine")
    proc = start_demo(workdir)
    try:
        key = os.path.join(workdir, "var", "tls", "key.pem")
        cert = os.path.join(workdir, "var", "tls", "cert.pem")
        assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
        ctx = ssl.create_default_context(cafile=cert)  # self-signed: its own CA
        with smtplib.SMTP("127.0.0.1", 2587, timeout=10) as s:
            s.starttls(context=ctx)
            assert b"STARTTLS" not in s.ehlo("client.example")[1]
        with smtplib.SMTP_SSL("localhost", 2465, timeout=10, context=ctx) as s:
            assert s.noop()[0] == 250
        with open(cert, "rb") as f:
            first = f.read()
    finally:
        stop(proc)
    proc = start_demo(workdir)
    try:
        with open(cert, "rb") as f:
            assert f.read() == first  # kept, not remade
    finally:
        stop(proc)
