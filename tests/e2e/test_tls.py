"""TLS for the SMTP server (issue 8, RELIABILITY.md #41, #42, #44, #46):
STARTTLS on port 25, implicit TLS on 465 (submissions_listen), with real
clients (smtplib, swaks, curl, openssl s_client) verifying against a
throwaway CA, and the rules servers got wrong: plaintext pipelined after
STARTTLS, state after the handshake, stalled and failed handshakes, old
protocol versions, renegotiation."""

import os
import pwd
import smtplib
import socket
import ssl
import subprocess
import threading
import time

import pytest

from conftest import TERN, RawSMTP, free_port, wait_until
from tls_pki import Pki

MSG = b"Subject: tls\r\n\r\nover TLS\r\n"


@pytest.fixture
def pki(workdir):
    return Pki(workdir)


@pytest.fixture
def tls_tern(make_tern, pki):
    """tern with a certificate for mx.test.example, STARTTLS on its port and
    TLS on a second port (tern.tls_port), where mynetworks may send without AUTH."""
    cert, key = pki.issue("server")
    port465 = free_port()
    t = make_tern({"smtpd_tls_cert_file": cert, "smtpd_tls_key_file": key, "smtpd_tls_loglevel": "1",
                   "smtpd_tls_received_header": "yes", "submissions_listen": f"127.0.0.1:{port465}",
                   # Port 465 requires AUTH by default (as Postfix's master.cf); these
                   # tests are about TLS, so this client (in mynetworks) may send there.
                   "submissions_client_restrictions": "permit_mynetworks, permit_sasl_authenticated, reject",
                   "submissions_relay_restrictions":
                       "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination"})
    t.tls_port = port465
    t.cert = cert
    return t


def client_context(pki):
    ctx = ssl.create_default_context(cafile=pki.ca)
    return ctx


def tls_raw(c, pki, server_hostname="mx.test.example"):
    """Turns a RawSMTP after 220 to STARTTLS into a TLS client."""
    c.sock = client_context(pki).wrap_socket(c.sock, server_hostname=server_hostname)
    return c


def test_smtplib_starttls_verifies_and_delivers_with_tls_in_received_and_log(tls_tern, pki):
    with smtplib.SMTP("127.0.0.1", tls_tern.port, timeout=10) as s:
        code, text = s.ehlo("client.example")
        assert b"STARTTLS" in text
        code, text = s.starttls(context=client_context(pki))
        assert (code, text) == (220, b"2.0.0 Ready to start TLS")
        code, text = s.ehlo("client.example")
        assert code == 250 and b"STARTTLS" not in text
        s.sendmail("a@example.org", ["alice@virt.test"], MSG)
    msg = tls_tern.wait_for_mail("alice@virt.test")[0]
    received = msg.get_all("Received")[0]
    assert "(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))" in received
    assert "with ESMTPS id" in received
    assert ("Anonymous TLS connection established from unknown[127.0.0.1]: "
            "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)") in tls_tern.log()


def test_received_header_without_tls_details_when_not_asked(make_tern, pki):
    cert, key = pki.issue("server")
    t = make_tern({"smtpd_tls_cert_file": cert, "smtpd_tls_key_file": key})
    with smtplib.SMTP("127.0.0.1", t.port, timeout=10) as s:
        s.starttls(context=client_context(pki))
        s.sendmail("a@example.org", ["alice@virt.test"], MSG)
    received = t.wait_for_mail("alice@virt.test")[0].get_all("Received")[0]
    assert "using TLS" not in received and "with ESMTPS id" in received
    assert "Anonymous TLS connection" not in t.log()  # smtpd_tls_loglevel 0


def test_smtp_ssl_on_465_verifies_and_delivers(tls_tern, pki):
    with smtplib.SMTP_SSL("127.0.0.1", tls_tern.tls_port, timeout=10, context=client_context(pki)) as s:
        code, text = s.ehlo("client.example")
        assert code == 250 and b"STARTTLS" not in text
        assert s.docmd("STARTTLS")[0] == 503
        s.sendmail("a@example.org", ["alice@virt.test"], MSG)
    assert "using TLSv1.3" in tls_tern.wait_for_mail("alice@virt.test")[0].get_all("Received")[0]


def test_wrong_ca_is_refused_by_the_client(tls_tern, workdir):
    other = Pki(os.path.join(workdir, "other"))
    with smtplib.SMTP("127.0.0.1", tls_tern.port, timeout=10) as s:
        with pytest.raises(ssl.SSLCertVerificationError):
            s.starttls(context=client_context(other))


@pytest.mark.parametrize("flag", ["--tls", "--tlsc"])
def test_swaks(tls_tern, pki, flag):
    port = tls_tern.port if flag == "--tls" else tls_tern.tls_port
    r = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(port), flag, "--tls-verify",
                        "--tls-ca-path", pki.ca, "--tls-sni", "mx.test.example",
                        "--from", "a@example.org", "--to", "alice@virt.test"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "TLS started with cipher TLSv1.3" in r.stdout
    tls_tern.wait_for_mail("alice@virt.test")


@pytest.mark.parametrize("scheme", ["smtp", "smtps"])
def test_curl(tls_tern, pki, workdir, scheme):
    port = tls_tern.port if scheme == "smtp" else tls_tern.tls_port
    body = os.path.join(workdir, "body.txt")
    with open(body, "wb") as f:
        f.write(b"From: a@example.org\r\nSubject: curl\r\n\r\nvia curl\r\n")
    r = subprocess.run(["curl", "-sS", "--ssl-reqd", "--cacert", pki.ca,
                        "--resolve", f"mx.test.example:{port}:127.0.0.1",
                        f"{scheme}://mx.test.example:{port}", "--mail-from", "a@example.org",
                        "--mail-rcpt", "alice@virt.test", "-T", body], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert tls_tern.wait_for_mail("alice@virt.test")[0]["Subject"] == "curl"


def s_client(port, *args, stdin=b"QUIT\n", timeout=15):
    return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *args],
                          input=stdin, capture_output=True, timeout=timeout)


@pytest.mark.parametrize("version,ok", [("-tls1", False), ("-tls1_1", False), ("-tls1_2", True), ("-tls1_3", True)])
def test_protocol_versions(tls_tern, pki, version, ok):
    r = s_client(tls_tern.port, "-starttls", "smtp", version, "-CAfile", pki.ca, "-cipher", "DEFAULT:@SECLEVEL=0")
    out = r.stdout.decode(errors="replace")
    if ok:
        assert f"New, TLSv1.{version[-1]}, Cipher is" in out and "Verify return code: 0 (ok)" in out, out
    else:
        assert "Cipher is (NONE)" in out or "Cipher    : 0000" in out, out
        wait_until(lambda: "SSL_accept error from unknown[127.0.0.1]" in tls_tern.log(), what="the failure logged")


def test_renegotiation_is_refused(tls_tern, pki):
    # s_client renegotiates when a read from its stdin is "R\n" alone, so
    # each line is written once the reply to the one before has come.
    proc = subprocess.Popen(["openssl", "s_client", "-connect", f"127.0.0.1:{tls_tern.port}", "-starttls", "smtp",
                             "-tls1_2", "-CAfile", pki.ca],  # no -ign_eof: it turns the R command off
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = bytearray()
    reader = threading.Thread(target=lambda: [out.extend(b) for b in iter(lambda: proc.stdout.read1(4096), b"")])
    reader.start()
    try:
        wait_until(lambda: b"Extended master secret" in out, what="the handshake")
        proc.stdin.write(b"EHLO x\n")
        proc.stdin.flush()
        wait_until(lambda: b"250-mx.test.example" in out, what="EHLO inside TLS")
        proc.stdin.write(b"R\n")
        proc.stdin.flush()
        wait_until(lambda: b"RENEGOTIATING" in out and b"no renegotiation" in out, what=f"the refusal in {bytes(out)!r}")
    finally:
        proc.kill()
        reader.join()
    text = out.decode(errors="replace")
    assert text.count("New, TLSv1.2") == 1, text  # no second handshake


def test_pipelined_plaintext_after_starttls_is_never_answered_inside_tls(tls_tern, pki):
    c = RawSMTP(tls_tern.port)
    assert c.reply()[0] == 220
    assert c.cmd("EHLO client.example")[0] == 250
    c.send("STARTTLS\r\nRSET\r\n")  # one segment
    assert c.reply() == (220, "220 2.0.0 Ready to start TLS")
    assert c.buf == b""
    tls_raw(c, pki)
    # The first reply inside TLS must be NOOP's, not RSET's.
    c.send("NOOP\r\n")
    c.sock.settimeout(10)
    data = c.sock.recv(65536)
    assert data == b"250 2.0.0 Ok\r\n"
    assert "pipelined after STARTTLS discarded" in tls_tern.log()


def test_plaintext_after_starttls_in_the_socket_fails_the_handshake(tls_tern, pki):
    c = RawSMTP(tls_tern.port)
    assert c.reply()[0] == 220
    c.send("STARTTLS\r\n")
    assert c.reply()[0] == 220
    c.send("RSET\r\nMAIL FROM:<a@example.org>\r\n")  # plaintext where a ClientHello belongs
    assert c.closed(timeout=10)
    assert c.buf == b""  # nothing answered
    wait_until(lambda: "SSL_accept error from unknown[127.0.0.1]" in tls_tern.log(), what="the failure logged")


def test_state_after_starttls(tls_tern, pki):
    c = RawSMTP(tls_tern.port)
    assert c.reply()[0] == 220
    assert c.cmd("EHLO client.example")[0] == 250
    assert c.cmd("STARTTLS")[0] == 220
    tls_raw(c, pki)
    assert c.cmd("MAIL FROM:<a@example.org>") == (503, "503 5.5.1 Error: send HELO/EHLO first")
    code, text = c.cmd("EHLO client.example")
    assert code == 250 and "STARTTLS" not in text
    assert c.cmd("STARTTLS") == (503, "503 5.5.1 Error: TLS already active")
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
    assert c.cmd("RCPT TO:<alice@virt.test>")[0] == 250
    assert c.cmd("DATA")[0] == 354
    c.send("Subject: raw\r\n\r\nbody\r\n.\r\n")
    assert c.reply()[0] == 250
    assert c.cmd("QUIT")[0] == 221
    tls_tern.wait_for_mail("alice@virt.test")


def test_starttls_inside_a_transaction_or_bdat_is_refused(tls_tern, pki):
    c = RawSMTP(tls_tern.port)
    assert c.reply()[0] == 220
    assert c.cmd("EHLO client.example")[0] == 250
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
    assert c.cmd("RCPT TO:<alice@virt.test>")[0] == 250
    c.send("BDAT 10\r\n0123456789")
    assert c.reply()[0] == 250
    assert c.cmd("STARTTLS") == (503, "503 5.5.1 Error: MAIL transaction in progress")
    assert c.cmd("RSET")[0] == 250
    assert c.cmd("STARTTLS")[0] == 220
    tls_raw(c, pki)
    assert c.cmd("EHLO client.example")[0] == 250
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
    assert c.cmd("RCPT TO:<alice@virt.test>")[0] == 250
    c.send("BDAT 13 LAST\r\nSubject: x\r\n\r\n")
    assert c.reply()[0] == 250
    msgs = tls_tern.wait_for_mail("alice@virt.test")
    assert len(msgs) == 1 and "0123456789" not in msgs[0].as_string()


def test_security_level_encrypt(make_tern, pki):
    cert, key = pki.issue("server")
    t = make_tern({"smtpd_tls_cert_file": cert, "smtpd_tls_key_file": key, "smtpd_tls_security_level": "encrypt"})
    c = RawSMTP(t.port)
    assert c.reply()[0] == 220
    assert c.cmd("EHLO client.example")[0] == 250
    assert c.cmd("NOOP")[0] == 250
    for cmd in ("MAIL FROM:<a@example.org>", "RCPT TO:<alice@virt.test>", "DATA", "VRFY alice@virt.test",
                "BDAT 1 LAST"):
        assert c.cmd(cmd) == (530, "530 5.7.0 Must issue a STARTTLS command first"), cmd
    assert c.cmd("STARTTLS")[0] == 220
    tls_raw(c, pki)
    assert c.cmd("EHLO client.example")[0] == 250
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250


def test_no_certificate_no_starttls(tern):
    c = RawSMTP(tern.port)
    assert c.reply()[0] == 220
    code, text = c.cmd("EHLO client.example")
    assert "STARTTLS" not in text
    assert c.cmd("STARTTLS") == (502, "502 5.5.1 Error: command not implemented")


def test_level_none_hides_starttls_but_serves_465(make_tern, pki):
    cert, key = pki.issue("server")
    port465 = free_port()
    t = make_tern({"smtpd_tls_cert_file": cert, "smtpd_tls_key_file": key, "smtpd_tls_security_level": "none",
                   "submissions_listen": f"127.0.0.1:{port465}"})
    c = RawSMTP(t.port)
    assert c.reply()[0] == 220
    assert "STARTTLS" not in c.cmd("EHLO client.example")[1]
    with smtplib.SMTP_SSL("127.0.0.1", port465, timeout=10, context=client_context(pki)) as s:
        assert s.noop()[0] == 250


def test_sni_chooses_the_certificate(make_tern, pki, workdir):
    cert, key = pki.issue("server")
    other_cert, other_key = pki.issue("other", names=("other.example.net",), kind="rsa")
    sub_cert, sub_key = pki.issue("sub", names=("a.sub.example.org",))
    sni = os.path.join(workdir, "sni")
    with open(sni, "w") as f:
        f.write(f"other.example.net {other_key} {other_cert}\n.sub.example.org {sub_key} {sub_cert}\n")
    t = make_tern({"smtpd_tls_cert_file": cert, "smtpd_tls_key_file": key, "tls_server_sni_maps": f"texthash:{sni}"})

    def served(name):
        c = RawSMTP(t.port)
        assert c.reply()[0] == 220
        assert c.cmd("STARTTLS")[0] == 220
        ctx = ssl.create_default_context(cafile=pki.ca)
        ctx.check_hostname = False
        s = ctx.wrap_socket(c.sock, server_hostname=name)
        der = s.getpeercert(binary_form=True)
        s.close()
        return der

    def der(path):
        with open(path) as f:
            return ssl.PEM_cert_to_DER_cert(f.read())

    assert served("other.example.net") == der(other_cert)
    assert served("OTHER.example.net") == der(other_cert)
    assert served("a.sub.example.org") == der(sub_cert)
    assert served("mx.test.example") == der(cert)
    assert served("unknown.example") == der(cert)


def test_sighup_new_certificate_keeps_the_open_session(tls_tern, pki):
    old_der = ssl.PEM_cert_to_DER_cert(open(tls_tern.cert).read())
    a = smtplib.SMTP("127.0.0.1", tls_tern.port, timeout=10)
    a.starttls(context=client_context(pki))
    a.ehlo("a.example")
    assert a.sock.getpeercert(binary_form=True) == old_der
    assert a.mail("a@example.org")[0] == 250
    # A new certificate and key in place of the old ones, then SIGHUP.
    new_cert, new_key = pki.issue("server2")
    os.replace(new_cert, tls_tern.params["smtpd_tls_cert_file"])
    os.replace(new_key, tls_tern.params["smtpd_tls_key_file"])
    new_der = ssl.PEM_cert_to_DER_cert(open(tls_tern.cert).read())
    assert new_der != old_der
    tls_tern.reload()
    wait_until(lambda: "reload -- configuration" in tls_tern.log(), what="the reload")
    with smtplib.SMTP("127.0.0.1", tls_tern.port, timeout=10) as b:
        b.starttls(context=client_context(pki))
        assert b.sock.getpeercert(binary_form=True) == new_der
    # The old session finishes its message over the old context.
    assert a.rcpt("alice@virt.test")[0] == 250
    assert a.data(MSG)[0] == 250
    a.quit()
    tls_tern.wait_for_mail("alice@virt.test")


def timed_close(c, limit):
    start = time.monotonic()
    closed = c.closed(timeout=limit + 10)
    return closed, time.monotonic() - start


def test_stalled_handshakes_and_plaintext_on_465_end_within_the_timeout(make_tern, pki):
    cert, key = pki.issue("server")
    port465 = free_port()
    t = make_tern({"smtpd_tls_cert_file": cert, "smtpd_tls_key_file": key, "smtpd_timeout": "2s",
                   "submissions_listen": f"127.0.0.1:{port465}"})
    # Nothing at all on 465.
    c = RawSMTP(port465)
    closed, took = timed_close(c, 2)
    assert closed and took < 6 and c.buf == b""
    # Plaintext EHLO on 465: no greeting, closed at once.
    c = RawSMTP(port465)
    c.send("EHLO x\r\n")
    closed, took = timed_close(c, 2)
    assert closed and took < 6 and c.buf == b""
    # STARTTLS, then silence.
    c = RawSMTP(t.port)
    assert c.reply()[0] == 220
    assert c.cmd("STARTTLS")[0] == 220
    closed, took = timed_close(c, 2)
    assert closed and took < 6
    wait_until(lambda: "SSL_accept error from unknown[127.0.0.1]: timeout" in t.log(), what="the timeout logged")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_no_descriptor_leak_after_failed_handshakes(tls_tern):
    pid = tls_tern.proc.pid
    # One good connection first, so lazily opened descriptors are counted.
    with socket.create_connection(("127.0.0.1", tls_tern.tls_port)) as s:
        s.sendall(b"\x16\x03\x01\x00\x05hello")
        s.recv(100)
    wait_until(lambda: "disconnect" in tls_tern.log(), what="the first session to end")
    before = fd_count(pid)
    for i in range(60):
        port = tls_tern.tls_port if i % 2 else tls_tern.port
        with socket.create_connection(("127.0.0.1", port)) as s:
            if port == tls_tern.port:
                s.recv(100)
                s.sendall(b"STARTTLS\r\n")
                s.recv(100)
            s.sendall(b"GET / HTTP/1.0\r\n\r\n" if i % 3 else b"\x16\x03\x01\xff\xff" + b"x" * 64)
            s.settimeout(10)
            try:
                while s.recv(4096):
                    pass
            except (ConnectionResetError, socket.timeout):
                pass
    wait_until(lambda: tls_tern.log().count("disconnect from") >= 61, what="every session to end")
    wait_until(lambda: fd_count(pid) <= before, what=f"descriptors back to {before}")


@pytest.mark.parametrize("case", ["mismatch", "missing", "submissions_without_cert", "encrypt_without_cert",
                                  "bad_protocols"])
def test_configuration_mistakes_name_file_line_and_fix(make_tern, pki, case):
    cert, key = pki.issue("server")
    other_cert, other_key = pki.issue("other")
    overrides = {
        "mismatch": {"smtpd_tls_cert_file": cert, "smtpd_tls_key_file": other_key},
        "missing": {"smtpd_tls_cert_file": cert, "smtpd_tls_key_file": key + ".nope"},
        "submissions_without_cert": {"submissions_listen": f"127.0.0.1:{free_port()}"},
        "encrypt_without_cert": {"smtpd_tls_security_level": "encrypt"},
        "bad_protocols": {"smtpd_tls_cert_file": cert, "smtpd_tls_protocols": "!TLSv1.2, !TLSv1.3"},
    }[case]
    t = make_tern(overrides, start=False)
    r = subprocess.run([TERN, "-c", t.config, "serve"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 78, r.stderr
    err = r.stderr + t.log()
    param = list(overrides)[-1] if case != "mismatch" else "smtpd_tls_key_file"
    lines = open(t.config).read().splitlines()
    line = next(i + 1 for i, l in enumerate(lines) if l.startswith(param + " "))
    assert f"main.cf:{line}: " in err, err
    expected = {
        "mismatch": "does not match the certificate",
        "missing": "cannot read",
        "submissions_without_cert": "needs a certificate",
        "encrypt_without_cert": "encrypt needs a certificate",
        "bad_protocols": "leaves neither TLSv1.2 nor TLSv1.3",
    }[case]
    assert expected in err, err


def test_reload_with_a_bad_key_keeps_the_running_certificate_and_applies_the_rest(tls_tern, pki):
    old_der = ssl.PEM_cert_to_DER_cert(open(tls_tern.cert).read())
    _, wrong_key = pki.issue("wrong")
    tls_tern.params["smtpd_tls_key_file"] = wrong_key
    tls_tern.params["smtpd_banner"] = "$myhostname ESMTP reloaded"
    tls_tern.write_config()
    tls_tern.reload()
    wait_until(lambda: "reload -- configuration" in tls_tern.log(), what="the reload")
    assert "TLS not reloaded, sessions go on with the certificate loaded before" in tls_tern.log()
    assert "does not match the certificate" in tls_tern.log()
    with smtplib.SMTP("127.0.0.1", tls_tern.port, timeout=10) as s:
        s.starttls(context=client_context(pki))
        assert s.sock.getpeercert(binary_form=True) == old_der
    c = RawSMTP(tls_tern.port)
    assert c.reply() == (220, "220 mx.test.example ESMTP reloaded")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop privileges")
def test_root_only_key_is_read_at_start_and_again_on_reload_after_the_privilege_drop(make_tern, pki):
    cert, key = pki.issue("server")
    os.chmod(pki.dir, 0o755)
    os.chmod(cert, 0o644)
    os.chmod(key, 0o600)  # root's, unreadable by mail_owner
    t = make_tern({"mail_owner": "tern", "smtpd_tls_cert_file": cert, "smtpd_tls_key_file": key}, start=False)
    tern_user = pwd.getpwnam("tern")
    os.chown(os.path.join(t.base, "users"), tern_user.pw_uid, tern_user.pw_gid)  # read again on reload
    t.start()
    with smtplib.SMTP("127.0.0.1", t.port, timeout=10) as s:
        s.starttls(context=client_context(pki))
        assert s.sock.getpeercert(binary_form=True) == ssl.PEM_cert_to_DER_cert(open(cert).read())
        s.sendmail("a@example.org", ["alice@virt.test"], MSG)
    t.wait_for_mail("alice@virt.test")
    # A renewed certificate with a new root-only key, in new files: the
    # unprivileged process cannot read the key, the root side reads it for
    # the reload because main.cf names it.
    new_cert, new_key = pki.issue("renewed")
    os.chmod(new_cert, 0o644)
    os.chmod(new_key, 0o600)
    as_tern = subprocess.run(["setpriv", f"--reuid={tern_user.pw_uid}", f"--regid={tern_user.pw_gid}",
                              "--clear-groups", "cat", new_key], capture_output=True, text=True)
    assert as_tern.returncode != 0 and "Permission denied" in as_tern.stderr
    t.params["smtpd_tls_cert_file"] = new_cert
    t.params["smtpd_tls_key_file"] = new_key
    t.write_config()
    t.reload()
    wait_until(lambda: "reload -- configuration" in t.log(), what="the reload: " + t.log()[-1500:])
    assert "TLS not reloaded" not in t.log(), t.log()[-1500:]
    with smtplib.SMTP("127.0.0.1", t.port, timeout=10) as s:
        s.starttls(context=client_context(pki))
        assert s.sock.getpeercert(binary_form=True) == ssl.PEM_cert_to_DER_cert(open(new_cert).read())
        assert s.noop()[0] == 250
    # A key file main.cf no longer names stays unreadable to the daemon; a
    # reload pointing at a missing key keeps the renewed certificate.
    t.params["smtpd_tls_key_file"] = new_key + ".gone"
    t.write_config()
    t.reload()
    wait_until(lambda: "TLS not reloaded" in t.log(), what="the second reload: " + t.log()[-1500:])
    assert "asked of the local delivery process" in t.log() and "No such file" in t.log(), t.log()[-1500:]
    with smtplib.SMTP("127.0.0.1", t.port, timeout=10) as s:
        s.starttls(context=client_context(pki))
        assert s.sock.getpeercert(binary_form=True) == ssl.PEM_cert_to_DER_cert(open(new_cert).read())


def test_chain_files_serve_an_rsa_and_an_ecdsa_certificate(make_tern, pki, workdir):
    rsa_cert, rsa_key = pki.issue("rsa", kind="rsa")
    ec_cert, ec_key = pki.issue("ec")
    # One file with key then certificate, and one pair of separate files.
    combined = os.path.join(workdir, "rsa-chain.pem")
    with open(combined, "w") as f:
        f.write(open(rsa_key).read() + open(rsa_cert).read() + open(pki.ca).read())
    os.chmod(combined, 0o600)
    t = make_tern({"smtpd_tls_chain_files": f"{combined}, {ec_key}, {ec_cert}"})

    def served(cipher):
        ctx = client_context(pki)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(cipher)
        with smtplib.SMTP("127.0.0.1", t.port, timeout=10) as s:
            s.starttls(context=ctx)
            return s.sock.getpeercert(binary_form=True)

    assert served("ECDHE-RSA-AES128-GCM-SHA256") == ssl.PEM_cert_to_DER_cert(open(rsa_cert).read())
    assert served("ECDHE-ECDSA-AES128-GCM-SHA256") == ssl.PEM_cert_to_DER_cert(open(ec_cert).read())


def test_odd_sni_names_get_the_default_certificate(tls_tern, pki):
    # RELIABILITY.md #18: an SNI name ending in a backslash, or with control
    # bytes, is never looked up nor stored; the handshake goes on.
    for name in ("mx.test.example\\", "a\x01b.example", "-" * 250):
        r = s_client(tls_tern.port, "-starttls", "smtp", "-servername", name, "-CAfile", pki.ca)
        out = r.stdout.decode(errors="replace")
        assert "subject=CN = mx.test.example" in out, out
    assert "\\" not in tls_tern.log().replace("\\x", "")


def test_connection_limit_on_465_closes_without_plaintext(make_tern, pki):
    cert, key = pki.issue("server")
    port465 = free_port()
    t = make_tern({"smtpd_tls_cert_file": cert, "smtpd_tls_key_file": key, "smtpd_max_connections": "1",
                   "submissions_listen": f"127.0.0.1:{port465}"})

    def first_session():
        # The start-up probe's connection counts until the server has seen it
        # close: until then the limit of one refuses this one too.
        try:
            return smtplib.SMTP_SSL("127.0.0.1", port465, timeout=10, context=client_context(pki))
        except (ssl.SSLError, smtplib.SMTPServerDisconnected, ConnectionError):
            return None

    with wait_until(first_session, what="a first session on 465") as s:
        assert s.noop()[0] == 250
        c = RawSMTP(port465)
        assert c.closed(timeout=10) and c.buf == b""
        assert s.noop()[0] == 250
