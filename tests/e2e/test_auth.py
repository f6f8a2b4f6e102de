"""SMTP AUTH (RFC 4954) against the real binary with real clients: Python's
smtplib (login() with PLAIN and LOGIN, auth() with an initial response),
swaks --auth and curl --user; raw sockets for every reply code of
RELIABILITY.md #48/#49; password checks off the event loop; the brute-force
delays and 421; the failure log lines read by fail2ban's stock filter.

Most cases run in plaintext with smtpd_tls_auth_only = no (the AUTH rules
do not depend on the stream); the defaults are checked over TLS at the end:
no AUTH before STARTTLS on 587 (538 5.7.11), AUTH after it, and a login
forgotten by STARTTLS."""

import base64
import re
import shutil
import smtplib
import subprocess
import threading
import time

import pytest

from conftest import RawSMTP, SANITIZED, wait_until

OPEN = {"smtpd_sasl_auth_enable": "yes", "smtpd_tls_auth_only": "no", "smtpd_sasl_failure_sleep_time": "0"}


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


def plain(user, pw, authzid=""):
    return b64(f"{authzid}\0{user}\0{pw}")


def ehlo(c):
    assert c.reply()[0] == 220
    code, text = c.cmd("EHLO client.example")
    assert code == 250
    return text


def message(subject):
    return f"From: alice@virt.test\r\nTo: bob@virt.test\r\nSubject: {subject}\r\n\r\nbody\r\n"


@pytest.fixture
def open_tern(make_tern):
    return make_tern(OPEN)


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_smtplib_login_then_mail_is_logged_with_sasl_user(open_tern, mech):
    with smtplib.SMTP("127.0.0.1", open_tern.port, timeout=30) as s:
        s.ehlo("client.example")
        assert s.has_extn("auth") and set(s.esmtp_features["auth"].split()) == {"PLAIN", "LOGIN"}
        s.user, s.password = "alice@virt.test", "secret"
        code, text = s.auth(mech, getattr(s, "auth_" + mech.lower()), initial_response_ok=False)
        assert (code, text) == (235, b"2.7.0 Authentication successful")
        s.sendmail("alice@virt.test", ["bob@virt.test"], message(f"via {mech}"))
    assert open_tern.wait_for_mail("bob@virt.test")[0]["Subject"] == f"via {mech}"
    assert re.search(rf"[0-9A-F]{{16}}: client=unknown\[127\.0\.0\.1\], sasl_method={mech}, "
                     rf"sasl_username=alice@virt\.test\n", open_tern.log())


def test_smtplib_initial_response_and_login_helper(open_tern):
    with smtplib.SMTP("127.0.0.1", open_tern.port, timeout=30) as s:
        s.ehlo("client.example")
        s.user, s.password = "Alice@Virt.Test", "secret"
        assert s.auth("PLAIN", s.auth_plain)[0] == 235  # initial response (SASL-IR)
        # The database's spelling of the account is what gets logged and checked.
        s.sendmail("alice@virt.test", ["bob@virt.test"], message("ir"))
    assert "sasl_username=alice@virt.test" in open_tern.log()
    with smtplib.SMTP("127.0.0.1", open_tern.port, timeout=30) as s:
        assert s.login("bob@virt.test", "secret")[0] == 235
        # Already authenticated: 503, which smtplib takes as "logged in".
        code, text = s.login("bob@virt.test", "secret")
        assert (code, text) == (503, b"5.5.1 Error: already authenticated")
    with smtplib.SMTP("127.0.0.1", open_tern.port, timeout=30) as s:
        with pytest.raises(smtplib.SMTPAuthenticationError) as e:
            s.login("alice@virt.test", "wrong")
        assert e.value.smtp_code == 535 and b"5.7.8" in e.value.smtp_error


@pytest.mark.skipif(not shutil.which("swaks"), reason="swaks is not installed")
@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_swaks_auth(open_tern, mech):
    r = subprocess.run(["swaks", "--server", f"127.0.0.1:{open_tern.port}", "--helo", "swaks.example",
                        "--auth", mech, "--auth-user", "alice@virt.test", "--auth-password", "secret",
                        "--from", "alice@virt.test", "--to", "bob@virt.test", "--header", f"Subject: swaks {mech}"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "235 2.7.0 Authentication successful" in r.stdout
    bad = subprocess.run(["swaks", "--server", f"127.0.0.1:{open_tern.port}", "--helo", "swaks.example",
                          "--auth", mech, "--auth-user", "alice@virt.test", "--auth-password", "nope",
                          "--from", "alice@virt.test", "--to", "bob@virt.test"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "535 5.7.8" in bad.stdout
    assert open_tern.wait_for_mail("bob@virt.test")[0]["Subject"] == f"swaks {mech}"


@pytest.mark.skipif(not shutil.which("curl"), reason="curl is not installed")
def test_curl_user(open_tern, workdir):
    path = f"{workdir}/curl.eml"
    with open(path, "w") as f:
        f.write(message("curl auth"))
    for opts, ok in ((["--user", "alice@virt.test:secret"], True),
                     (["--user", "alice@virt.test:secret", "--login-options", "AUTH=LOGIN"], True),
                     (["--user", "alice@virt.test:bad"], False)):
        r = subprocess.run(["curl", "-sS", "--max-time", "30", f"smtp://127.0.0.1:{open_tern.port}",
                            "--mail-from", "alice@virt.test", "--mail-rcpt", "bob@virt.test",
                            "--upload-file", path, *opts], capture_output=True, text=True, timeout=60)
        assert (r.returncode == 0) == ok, r.stderr
    open_tern.wait_for_mail("bob@virt.test", count=2)


def test_every_reply_code_and_a_clean_state_after_errors(open_tern):
    """RELIABILITY.md #48/#49 over a raw socket."""
    c = RawSMTP(open_tern.port)
    assert c.reply()[0] == 220
    assert c.cmd("AUTH PLAIN " + plain("alice@virt.test", "secret"))[1].startswith("503 5.5.1")  # before EHLO
    assert "AUTH PLAIN LOGIN" in c.cmd("EHLO client.example")[1]
    assert c.cmd("AUTH CRAM-MD5")[1].startswith("504 5.5.4")
    assert c.cmd("AUTH")[1].startswith("501 5.5.4")
    assert c.cmd("AUTH PLAIN AGFsaWNl!AHNlY3JldA==")[1].startswith("501 5.5.2")  # bad base64
    assert c.cmd("AUTH PLAIN") == (334, "334 ")
    assert c.cmd("AGFsaWNl AHNlY3JldA==")[1].startswith("501 5.5.2")  # a space is not base64
    assert c.cmd("AUTH PLAIN")[0] == 334
    assert c.cmd("*")[1] == "501 5.7.0 Authentication aborted"
    assert c.cmd("AUTH LOGIN") == (334, "334 VXNlcm5hbWU6")
    assert c.cmd("A" * 20000)[1].startswith("500 5.5.6")  # over 12288 bytes
    assert c.cmd("AUTH PLAIN " + plain("alice@virt.test", "secret", authzid="bob@virt.test"))[1].startswith("535 5.7.8")
    assert c.cmd("AUTH PLAIN =")[1].startswith("535 5.7.8")  # empty initial response
    # An aborted PLAIN, then a LOGIN that works: nothing of the first is left.
    assert c.cmd("AUTH PLAIN")[0] == 334
    assert c.cmd("*")[0] == 501
    assert c.cmd("AUTH LOGIN " + b64("alice@virt.test")) == (334, "334 UGFzc3dvcmQ6")
    assert c.cmd(b64("secret")) == (235, "235 2.7.0 Authentication successful")
    assert c.cmd("AUTH LOGIN")[1].startswith("503 5.5.1")  # already authenticated
    assert c.cmd("MAIL FROM:<alice@virt.test> AUTH=alice+40virt.test")[0] == 250
    assert c.cmd("AUTH PLAIN " + plain("bob@virt.test", "secret"))[1].startswith("503 5.5.1")  # in a transaction
    assert c.cmd("RCPT TO:<bob@virt.test>")[0] == 250
    assert c.cmd("DATA")[0] == 354
    assert c.cmd(message("raw") + ".")[0] == 250
    assert c.cmd("QUIT")[0] == 221
    open_tern.wait_for_mail("bob@virt.test")
    c2 = RawSMTP(open_tern.port)
    ehlo(c2)
    assert c2.cmd("AUTH PLAIN")[0] == 334
    c2.send("*\r\nNOOP\r\n")  # the response and a command pipelined after it: each answered in order
    assert c2.reply()[0] == 501 and c2.reply()[0] == 250
    assert c2.cmd("MAIL FROM:<> AUTH=<>")[0] == 250  # AUTH= from an unauthenticated client is accepted
    c2.close()
    log = open_tern.log()
    assert "secret" not in log and b64("secret") not in log
    # RELIABILITY.md #49: ASan clean (the sanitizer build reports at exit).
    assert open_tern.stop() == 0
    assert "Sanitizer" not in open_tern.read_stderr() and "runtime error" not in open_tern.read_stderr()


def test_unknown_user_and_wrong_password_look_the_same(make_tern):
    open_tern = make_tern({**OPEN, "smtpd_sasl_failure_limit": "0"})  # a dozen failures, none refused

    def attempt(user):
        c = RawSMTP(open_tern.port, timeout=30)
        ehlo(c)
        t = time.monotonic()
        reply = c.cmd("AUTH PLAIN " + plain(user, "wrong"))
        elapsed = time.monotonic() - t
        c.close()
        return reply, elapsed

    (known, _), (unknown, _) = attempt("alice@virt.test"), attempt("nobody@virt.test")
    assert known == unknown and known[0] == 535
    # Both pay for a yescrypt check (~tens of ms or more); without the dummy
    # hash the unknown user would be answered in well under a millisecond.
    # The fastest of several interleaved attempts is each one's own cost; a
    # single pair was at the mercy of whatever else the machine was doing.
    rounds = 5
    t_known, t_unknown = [], []
    for _ in range(rounds):
        t_known.append(attempt("alice@virt.test")[1])
        t_unknown.append(attempt("nobody@virt.test")[1])
    assert min(t_unknown) > 0.3 * min(t_known), (t_known, t_unknown)
    log = open_tern.log()
    assert log.count("SASL PLAIN authentication failed: authentication failure") == 2 + 2 * rounds


def test_a_burst_of_logins_does_not_stall_another_session(open_tern):
    """Ten yescrypt checks queued at once; a NOOP on another connection is
    answered before the last of them (hashing on the event loop would answer
    it only after all the AUTHs ahead of it)."""
    n = 10
    clients = [RawSMTP(open_tern.port, timeout=60) for _ in range(n)]
    for c in clients:
        ehlo(c)
    other = RawSMTP(open_tern.port, timeout=60)
    ehlo(other)
    done = []
    for c in clients:
        c.send("AUTH PLAIN " + plain("alice@virt.test", "secret") + "\r\n")

    def collect(c):
        assert c.reply()[0] == 235
        done.append(time.monotonic())

    threads = [threading.Thread(target=collect, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    start = time.monotonic()
    assert other.cmd("NOOP")[0] == 250
    noop_at = time.monotonic()
    for t in threads:
        t.join(60)
    assert len(done) == n
    assert noop_at < max(done), (noop_at - start, max(done) - start)
    assert noop_at - start < 0.5 * (max(done) - start), (noop_at - start, max(done) - start)


def test_brute_force_growing_delays_then_421_for_the_address(make_tern):
    t = make_tern({**OPEN, "smtpd_sasl_failure_sleep_time": "1s", "smtpd_sasl_failure_limit": "3"})
    c = RawSMTP(t.port, source="127.0.0.2", timeout=30)
    ehlo(c)
    delays = []
    for _ in range(2):
        s = time.monotonic()
        assert c.cmd("AUTH PLAIN " + plain("alice@virt.test", "guess"))[1].startswith("535 5.7.8")
        delays.append(time.monotonic() - s)
    assert delays[0] >= 1.0 and delays[1] >= 2.0, delays
    assert c.cmd("AUTH PLAIN " + plain("alice@virt.test", "guess"))[1].startswith("421 4.7.0")
    assert c.closed()
    # The address is remembered across connections: even the right password
    # gets 421 at once, without a password check.
    c2 = RawSMTP(t.port, source="127.0.0.2", timeout=30)
    ehlo(c2)
    s = time.monotonic()
    assert c2.cmd("AUTH PLAIN " + plain("alice@virt.test", "secret"))[1].startswith("421 4.7.0")
    assert time.monotonic() - s < 1.0
    assert c2.closed()
    # Another address is not affected.
    c3 = RawSMTP(t.port, timeout=30)
    ehlo(c3)
    assert c3.cmd("AUTH PLAIN " + plain("alice@virt.test", "secret"))[0] == 235
    c3.close()


@pytest.mark.skipif(not shutil.which("fail2ban-regex"), reason="fail2ban is not installed")
@pytest.mark.parametrize("name,jail_filter", [
    ("postfix", "postfix.conf[mode=auth]"),                      # syslog_name = postfix: the filter as it ships
    ("tern", r"postfix.conf[mode=auth, _daemon=tern/\w+]"),      # tern's own name: the jail names the daemon
])
def test_fail2ban_stock_filter_matches_the_failures(make_tern, name, jail_filter):
    t = make_tern({**OPEN, "syslog_name": name})
    for mech, lines in (("PLAIN", ["AUTH PLAIN " + plain("alice@virt.test", "x")]),
                        ("LOGIN", ["AUTH LOGIN", b64("nobody@virt.test"), b64("x")])):
        c = RawSMTP(t.port, source="127.0.0.2", timeout=30)
        ehlo(c)
        for line in lines:
            code, _ = c.cmd(line)
        assert code == 535
        c.close()
    wait_until(lambda: t.log().count("authentication failed") == 2, what="two failures logged")
    assert re.search(r"^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ " + name + r"/master\[\d+\]: warning: "
                     r"unknown\[127\.0\.0\.2\]: SASL LOGIN authentication failed: authentication failure$",
                     t.log(), re.M), t.log()
    r = subprocess.run(["fail2ban-regex", "--print-all-matched", t.logfile,
                        "/etc/fail2ban/filter.d/" + jail_filter],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"Lines: \d+ lines, 0 ignored, 2 matched", r.stdout), r.stdout
    assert r.stdout.count("unknown[127.0.0.2]: SASL") == 2, r.stdout


def test_auth_off_on_port_25_by_default_and_tls_only_refusal(make_tern):
    t = make_tern()  # smtpd_sasl_auth_enable = no
    c = RawSMTP(t.port)
    assert "AUTH" not in ehlo(c)
    assert c.cmd("AUTH PLAIN " + plain("alice@virt.test", "secret"))[1] == "503 5.5.1 Error: authentication not enabled"
    c.close()
    t2 = make_tern({"smtpd_sasl_auth_enable": "yes"})  # smtpd_tls_auth_only = yes, and no TLS yet
    c = RawSMTP(t2.port)
    assert "AUTH" not in ehlo(c)
    assert c.cmd("AUTH PLAIN " + plain("alice@virt.test", "secret"))[1] == \
        "538 5.7.11 Encryption required for requested authentication mechanism"
    c.close()


def test_submission_port_before_tls_refuses_auth(make_tern):
    """RELIABILITY.md #43 with tern's defaults (smtpd_tls_auth_only = yes):
    on 587 before TLS, AUTH is not advertised and gets 538 5.7.11."""
    from conftest import free_port
    port = free_port()
    make_tern({"submission_listen": f"127.0.0.1:{port}"})
    c = RawSMTP(port)
    assert "AUTH" not in ehlo(c)
    assert c.cmd("AUTH PLAIN " + plain("alice@virt.test", "secret"))[1].startswith("538 5.7.11")
    assert c.cmd("AUTH LOGIN")[1].startswith("538 5.7.11")  # no challenge is sent
    c.close()


def test_submission_port_offers_auth(make_tern, workdir):
    from conftest import free_port
    port = free_port()
    t = make_tern({"submission_listen": f"127.0.0.1:{port}", "smtpd_tls_auth_only": "no"})
    c = RawSMTP(port)
    assert "AUTH PLAIN LOGIN" in ehlo(c)
    assert c.cmd("AUTH PLAIN " + plain("alice@virt.test", "secret"))[0] == 235
    c.close()
    c = RawSMTP(t.port)  # port 25 keeps smtpd_sasl_auth_enable = no
    assert "AUTH" not in ehlo(c)
    c.close()


def test_no_user_database_no_auth(make_tern):
    t = make_tern({**OPEN, "user_database": ""}, users=())
    c = RawSMTP(t.port)
    assert "AUTH" not in ehlo(c)
    assert c.cmd("AUTH PLAIN " + plain("alice@virt.test", "secret"))[0] == 503
    c.close()


def test_reload_picks_up_new_and_changed_accounts(open_tern):
    """The user database is read with each configuration snapshot: after
    SIGHUP a new account logs in and a changed password takes effect, while
    a session started before keeps the snapshot it began with."""
    before = RawSMTP(open_tern.port)
    ehlo(before)
    open_tern.add_user("carol@virt.test", "carolpw")
    open_tern.run("user", "passwd", "alice@virt.test", "--password-stdin", input="newpw\n")
    open_tern.reload()
    wait_until(lambda: "reload -- configuration and tables reloaded" in open_tern.log(), what="the reload")
    with smtplib.SMTP("127.0.0.1", open_tern.port, timeout=30) as s:
        assert s.login("carol@virt.test", "carolpw")[0] == 235
    with smtplib.SMTP("127.0.0.1", open_tern.port, timeout=30) as s:
        with pytest.raises(smtplib.SMTPAuthenticationError):
            s.login("alice@virt.test", "secret")
    with smtplib.SMTP("127.0.0.1", open_tern.port, timeout=30) as s:
        assert s.login("alice@virt.test", "newpw")[0] == 235
    assert before.cmd("AUTH PLAIN " + plain("alice@virt.test", "secret"))[0] == 235
    before.close()


def _tls_submission(make_tern, workdir):
    """tern with a certificate, smtpd_tls_auth_only at its default (yes) and
    a submission listener; t.sub_port is port 587's role, t.ca the CA file."""
    from conftest import free_port
    from tls_pki import Pki
    pki = Pki(workdir)
    cert, key = pki.issue("server")
    sub = free_port()
    t = make_tern({"smtpd_tls_cert_file": cert, "smtpd_tls_key_file": key, "submission_listen": f"127.0.0.1:{sub}"})
    t.sub_port, t.ca = sub, pki.ca
    return t


def test_over_tls_on_587_with_defaults(make_tern, workdir):
    """RELIABILITY.md #42/#43/#48 with TLS: before STARTTLS, AUTH is not
    offered and gets 538; after it, EHLO lists AUTH and smtplib logs in and
    sends; AUTH again gets 503."""
    import ssl
    t = _tls_submission(make_tern, workdir)
    c = RawSMTP(t.sub_port)
    text = ehlo(c)
    assert "STARTTLS" in text and "AUTH" not in text
    assert c.cmd("AUTH PLAIN " + plain("alice@virt.test", "secret"))[1].startswith("538 5.7.11")
    c.close()
    ctx = ssl.create_default_context(cafile=t.ca)
    with smtplib.SMTP("127.0.0.1", t.sub_port, timeout=30) as s:
        s.ehlo("client.example")
        s._host = "mx.test.example"  # the name smtplib checks the certificate against
        assert s.starttls(context=ctx)[0] == 220
        s.ehlo("client.example")
        assert "PLAIN" in s.esmtp_features["auth"]
        assert s.login("alice@virt.test", "secret")[0] == 235
        assert s.docmd("AUTH", "PLAIN " + plain("alice@virt.test", "secret"))[0] == 503
        s.sendmail("alice@virt.test", ["bob@virt.test"], message("over tls"))
    assert t.wait_for_mail("bob@virt.test")[0]["Subject"] == "over tls"


def test_starttls_forgets_a_plaintext_login(make_tern, workdir):
    """RFC 3207 4.2: a client that logged in before STARTTLS (allowed here
    with smtpd_tls_auth_only = no) is no longer authenticated after it: on
    587, MAIL then needs AUTH again (530 5.7.0)."""
    import ssl
    t = _tls_submission(make_tern, workdir)
    t.stop()
    t.params["smtpd_tls_auth_only"] = "no"
    t.write_config()
    t.start()
    c = RawSMTP(t.sub_port)
    ehlo(c)
    assert c.cmd("AUTH PLAIN " + plain("alice@virt.test", "secret"))[0] == 235
    assert c.cmd("STARTTLS")[0] == 220
    c.sock = ssl.create_default_context(cafile=t.ca).wrap_socket(c.sock, server_hostname="mx.test.example")
    assert c.cmd("EHLO client.example")[0] == 250
    assert c.cmd("MAIL FROM:<alice@virt.test>")[1].startswith("530 5.7.0")
    assert c.cmd("AUTH PLAIN " + plain("alice@virt.test", "secret"))[0] == 235
    assert c.cmd("MAIL FROM:<alice@virt.test>")[0] == 250
    c.close()


def _imap_logins(port, n, user, password):
    """n IMAP sessions LOGIN at once; returns each tagged reply line."""
    import asyncio

    async def one():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await reader.readline()
        writer.write(f"a LOGIN {user} {password}\r\n".encode())
        while True:
            line = await reader.readline()
            if not line or line.startswith(b"a "):
                break
        writer.close()
        return line.decode(errors="replace").strip()

    async def all_of_them():
        return await asyncio.gather(*(one() for _ in range(n)))

    return asyncio.run(all_of_them())


def test_login_cache_lets_a_burst_in_and_never_outlives_a_password(make_tern):
    """Four hundred IMAP logins of one user at once, after one login proved
    the password: every one is accepted. Without the cache of proven logins
    (auth_cache_size) they would queue behind two yescrypt threads and past
    256 waiting be told NO [UNAVAILABLE]. Only successes are remembered: a
    wrong password still fails, and after a password change and a reload the
    old password no longer logs in, while the new one does."""
    from conftest import free_port
    port = free_port()
    # A burst of one user's logins from one address: no mail_max_userip_connections.
    t = make_tern({**OPEN, "imap_listen": f"127.0.0.1:{port}", "smtpd_sasl_failure_limit": "0",
                   "mail_max_userip_connections": "0"})
    assert _imap_logins(port, 1, "alice@virt.test", "secret")[0].startswith("a OK")
    replies = _imap_logins(port, 400, "alice@virt.test", "secret")
    assert all(r.startswith("a OK") for r in replies), [r for r in replies if not r.startswith("a OK")][:3]
    assert "too many password checks waiting" not in t.log()
    assert _imap_logins(port, 1, "alice@virt.test", "Secret")[0].startswith("a NO [AUTHENTICATIONFAILED]")
    t.run("user", "passwd", "alice@virt.test", "--password-stdin", input="newpw\n")
    t.reload()
    wait_until(lambda: "reload -- configuration and tables reloaded" in t.log(), what="the reload")
    assert _imap_logins(port, 1, "alice@virt.test", "secret")[0].startswith("a NO [AUTHENTICATIONFAILED]")
    assert _imap_logins(port, 1, "alice@virt.test", "newpw")[0].startswith("a OK")
