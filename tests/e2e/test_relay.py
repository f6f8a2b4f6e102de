"""Relay control and the submission port (issue 8, items 5 and 7;
RELIABILITY.md #20, #47, #48): Postfix's restriction lists with exact
replies on port 25 and port 587, check_*_access tables, the sender login
check, configuration errors with file, line and fix, and reload.

Cases with SMTP AUTH run with smtpd_tls_auth_only = no until STARTTLS is
on main (AUTH_WITHOUT_TLS); the policy side of them is also unit-tested in
src/policy/restriction_test.cpp with ClientInfo set directly."""

import os
import smtplib
import subprocess

import pytest

from conftest import TERN, RawSMTP, free_port, wait_until

# Until STARTTLS lands, AUTH is only offered in plaintext when allowed.
AUTH_WITHOUT_TLS = {"smtpd_tls_auth_only": "no"}


def with_submission(make_tern, overrides=None, files=None):
    """A started tern that also listens for submission (port 587's role) on
    a free loopback port; t.sub_port is that port. files: name -> text,
    written into its directory before the start (e.g. "virtual")."""
    for _ in range(3):
        sub = free_port()
        t = make_tern({"submission_listen": f"127.0.0.1:{sub}", **(overrides or {})}, start=False)
        for name, text in (files or {}).items():
            t.write_file(name, text)
        try:
            t.start()
        except AssertionError as e:
            if "submission_listen" in str(e) and "Address already in use" in str(e):
                continue  # another listener took the port meanwhile
            raise
        t.sub_port = sub
        return t
    raise AssertionError("no free port for submission_listen")


def session(port, source="127.0.0.1"):
    c = RawSMTP(port, source=source)
    assert c.reply()[0] == 220
    assert c.cmd("EHLO client.example")[0] == 250
    return c


def nothing_queued(t):
    return not [f for f in t.queue_files() if not f.startswith("corrupt/")]


# RELIABILITY.md #20: address tricks that must never relay from outside.
BATTERY = ["u%ext.test@local.test", "ext.test!u@local.test", "@local.test:u@ext.test",
           '"u@ext.test"@local.test', "u@[192.0.2.1]", "u@ext.test", "u@ext.test."]


def test_relay_matrix_port_25_and_587_from_outside(make_tern):
    """#47: from 127.0.0.2 without AUTH: 554 5.7.1 Relay access denied on
    port 25 for every trick, also with MAIL FROM:<>; 530 5.7.0
    Authentication required at MAIL on 587 (the null sender too), and a
    RCPT pushed after it finds no transaction. Nothing is queued."""
    t = with_submission(make_tern)
    c = session(t.port, "127.0.0.2")
    for sender in ("a@example.org", ""):
        assert c.cmd(f"MAIL FROM:<{sender}>")[0] == 250
        for rcpt in BATTERY:
            code, text = c.cmd(f"RCPT TO:<{rcpt}>")
            assert text.startswith("554 5.7.1 <") and text.endswith(">: Relay access denied"), (rcpt, text)
        assert c.cmd("DATA")[1][:9] == "554 5.5.1"
        assert c.cmd("RSET")[0] == 250
    s = session(t.sub_port, "127.0.0.2")
    for sender in ("a@example.org", "", "alice@virt.test"):
        assert s.cmd(f"MAIL FROM:<{sender}>")[1] == "530 5.7.0 Authentication required", sender
        assert s.cmd("RCPT TO:<u@ext.test>")[1][:9] == "503 5.5.1"
        assert s.cmd("RCPT TO:<alice@virt.test>")[1][:9] == "503 5.5.1"
    assert s.cmd("DATA")[1][:9] == "503 5.5.1"
    assert s.cmd("QUIT")[0] == 221
    assert nothing_queued(t)
    assert "NOQUEUE: reject: MAIL from unknown[127.0.0.2]: 530 5.7.0 Authentication required" in t.log()


def test_submission_requires_auth_even_from_mynetworks(make_tern):
    """Port 587 is for users, not networks: 127.0.0.1 (in mynetworks) is
    asked to authenticate too, while port 25 relays for it as before;
    smtplib sees the 530 as SMTPSenderRefused."""
    t = with_submission(make_tern)
    with smtplib.SMTP("127.0.0.1", t.sub_port) as s:
        with pytest.raises(smtplib.SMTPSenderRefused) as e:
            s.sendmail("a@example.org", ["alice@virt.test"], b"Subject: x\r\n\r\nx\r\n")
        assert e.value.smtp_code == 530 and e.value.smtp_error == b"5.7.0 Authentication required"
    c = session(t.port)
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
    assert c.cmd("RCPT TO:<u@elsewhere.example>")[0] == 250
    assert c.cmd("RSET")[0] == 250
    assert nothing_queued(t)


def test_submission_overrides_per_listener(make_tern):
    """An admin who wants the old behaviour on 587 for the LAN says so with
    submission_* parameters; port 25 is untouched by them."""
    t = with_submission(make_tern, {
        "submission_client_restrictions": "permit_mynetworks, permit_sasl_authenticated, reject",
        "submission_relay_restrictions": "permit_mynetworks, permit_sasl_authenticated, reject",
        "smtpd_relay_restrictions": "reject_unauth_destination",
    })
    s = session(t.sub_port)
    assert s.cmd("MAIL FROM:<a@example.org>")[0] == 250
    assert s.cmd("RCPT TO:<u@elsewhere.example>")[0] == 250
    assert s.cmd("RSET")[0] == 250
    # Without permit_mynetworks on 25, the LAN no longer relays there.
    c = session(t.port)
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
    assert c.cmd("RCPT TO:<u@elsewhere.example>")[1] == "554 5.7.1 <u@elsewhere.example>: Relay access denied"
    assert c.cmd("RCPT TO:<alice@virt.test>")[0] == 250
    # Outside mynetworks, 587 still asks for AUTH.
    o = session(t.sub_port, "127.0.0.2")
    assert o.cmd("MAIL FROM:<a@example.org>")[1] == "530 5.7.0 Authentication required"


def test_defer_unauth_destination(make_tern):
    """Postfix 3's default relay list ends in defer_unauth_destination: 450
    4.7.1, so that a mistake delays mail instead of bouncing it."""
    t = make_tern({"smtpd_relay_restrictions": "permit_mynetworks, defer_unauth_destination"})
    c = session(t.port, "127.0.0.2")
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
    assert c.cmd("RCPT TO:<u@ext.test>")[1] == "450 4.7.1 <u@ext.test>: Relay access denied"
    assert c.cmd("RCPT TO:<alice@virt.test>")[0] == 250


def test_check_access_tables(make_tern, workdir):
    """check_client_access, check_helo_access, check_sender_access and
    check_recipient_access, with Postfix's wording per stage, evaluated at
    RCPT (smtpd_delay_reject = yes): MAIL is accepted first."""
    w = lambda name, text: open(os.path.join(workdir, name), "w").write(text) and os.path.join(workdir, name)
    clients = w("clients", "127.0.0.5 REJECT\n127.0.0.6 550 5.7.1 your network is blocked\n")
    helos = w("helos", "bad.example REJECT\n")
    senders = w("senders", "spammer@example.org REJECT go away\nbadcorp.example 553 5.7.1 no mail from badcorp\n"
                           "<> DISCARD\n")
    rcpts = w("rcpts", "blocked@virt.test REJECT\ntmp@virt.test 450 4.2.1 try later\n")
    t = make_tern({
        "smtpd_client_restrictions": f"check_client_access texthash:{clients}",
        "smtpd_helo_restrictions": f"check_helo_access texthash:{helos}",
        "smtpd_sender_restrictions": f"check_sender_access texthash:{senders}",
        "smtpd_recipient_restrictions": f"check_recipient_access texthash:{rcpts}",
    })
    for ip, want in (("127.0.0.5", "554 5.7.1 <unknown[127.0.0.5]>: Client host rejected: Access denied"),
                     ("127.0.0.6", "550 5.7.1 <unknown[127.0.0.6]>: Client host rejected: your network is blocked")):
        c = session(t.port, ip)
        assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
        assert c.cmd("RCPT TO:<alice@virt.test>")[1] == want
    h = RawSMTP(t.port, source="127.0.0.2")
    assert h.reply()[0] == 220
    assert h.cmd("EHLO mx.bad.example")[0] == 250
    assert h.cmd("MAIL FROM:<a@example.org>")[0] == 250
    assert h.cmd("RCPT TO:<alice@virt.test>")[1] == "554 5.7.1 <mx.bad.example>: Helo command rejected: Access denied"
    c = session(t.port, "127.0.0.2")
    for sender, want in (("spammer@example.org", "554 5.7.1 <spammer@example.org>: Sender address rejected: go away"),
                         ("x@mail.badcorp.example",
                          "553 5.7.1 <x@mail.badcorp.example>: Sender address rejected: no mail from badcorp")):
        assert c.cmd(f"MAIL FROM:<{sender}>")[0] == 250
        assert c.cmd("RCPT TO:<alice@virt.test>")[1] == want
        assert c.cmd("RSET")[0] == 250
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
    assert c.cmd("RCPT TO:<blocked@virt.test>")[1] == \
        "554 5.7.1 <blocked@virt.test>: Recipient address rejected: Access denied"
    assert c.cmd("RCPT TO:<tmp@virt.test>")[1] == "450 4.2.1 <tmp@virt.test>: Recipient address rejected: try later"
    assert c.cmd("RCPT TO:<bob@virt.test>")[0] == 250
    assert c.cmd("DATA")[0] == 354
    assert c.cmd("Subject: through\r\n\r\nx\r\n.")[0] == 250
    t.wait_for_mail("bob@virt.test")
    # <> is discarded: accepted, never delivered.
    assert c.cmd("MAIL FROM:<>")[0] == 250
    assert c.cmd("RCPT TO:<alice@virt.test>")[0] == 250
    assert c.cmd("DATA")[0] == 354
    assert c.cmd("Subject: bounce\r\n\r\nx\r\n.")[0] == 250
    t.wait_queue_empty()
    assert t.maildir("alice@virt.test") == []


def test_sender_login_mismatch_without_auth(make_tern):
    """With reject_sender_login_mismatch on port 25, an address that leads
    to an account (the account itself, or a virtual alias of it) may not be
    used without logging in: 553 5.7.1 ... not logged in. An address that
    leads to no account is anyone's, and <> is never checked."""
    t = make_tern({"smtpd_sender_restrictions": "reject_sender_login_mismatch"}, start=False)
    t.write_file("virtual", "info@alias.test alice@virt.test\nlist@alias.test someone@elsewhere.example\n")
    t.start()
    c = session(t.port, "127.0.0.2")
    for sender in ("alice@virt.test", "info@alias.test", "ALICE@VIRT.TEST"):
        assert c.cmd(f"MAIL FROM:<{sender}>")[0] == 250
        assert c.cmd("RCPT TO:<bob@virt.test>")[1] == \
            f"553 5.7.1 <{sender}>: Sender address rejected: not logged in", sender
        assert c.cmd("RSET")[0] == 250
    for sender in ("stranger@example.org", "list@alias.test", ""):
        assert c.cmd(f"MAIL FROM:<{sender}>")[0] == 250
        assert c.cmd("RCPT TO:<bob@virt.test>")[0] == 250, sender
        assert c.cmd("RSET")[0] == 250


def test_sender_login_maps_without_auth(make_tern, workdir):
    """smtpd_sender_login_maps replaces the default owners: an address the
    table names an owner for is refused without AUTH, others pass."""
    path = os.path.join(workdir, "logins")
    with open(path, "w") as f:
        f.write("ceo@example.org alice@virt.test\n")
    t = make_tern({"smtpd_sender_restrictions": "reject_sender_login_mismatch",
                   "smtpd_sender_login_maps": f"texthash:{path}"})
    c = session(t.port, "127.0.0.2")
    assert c.cmd("MAIL FROM:<ceo@example.org>")[0] == 250
    assert c.cmd("RCPT TO:<bob@virt.test>")[1] == "553 5.7.1 <ceo@example.org>: Sender address rejected: not logged in"
    assert c.cmd("RSET")[0] == 250
    assert c.cmd("MAIL FROM:<alice@virt.test>")[0] == 250  # not in the table: no owner
    assert c.cmd("RCPT TO:<bob@virt.test>")[0] == 250


@pytest.mark.parametrize("setting, fix", [
    ("smtpd_relay_restrictions = permit_mynetworks,\n  permit_mynetwork, reject_unauth_destination",
     "smtpd_relay_restrictions: unknown restriction 'permit_mynetwork'; did you mean 'permit_mynetworks'?"),
    ("smtpd_recipient_restrictions = check_recipient_access",
     "smtpd_recipient_restrictions: check_recipient_access needs a table after it, "
     "e.g. 'check_recipient_access texthash:/etc/tern/recipient_access'"),
    ("submission_client_restrictions = check_client_access texthash:/nonexistent/clients, reject",
     "submission_client_restrictions: check_client_access texthash:/nonexistent/clients:"),
    ("smtpd_relay_restrictions = permit_mynetworks",
     "smtpd_relay_restrictions: neither it nor smtpd_recipient_restrictions contains reject_unauth_destination"),
    ("smtpd_sender_restrictions = reject_rbl_client zen.example",
     "smtpd_sender_restrictions: restriction 'reject_rbl_client' is not supported by tern; remove it"),
])
def test_configuration_errors_name_file_line_and_fix(make_tern, setting, fix):
    """An unknown restriction, a missing or broken table, or lists that
    would make an open relay: `tern check` and `tern serve` refuse with
    main.cf:LINE and the fix, and serve does not start."""
    t = make_tern(start=False)
    with open(t.config, "a") as f:
        f.write(setting + "\n")
    line = sum(1 for _ in open(t.config)) - setting.count("\n")
    r = t.run("check", check=False)
    assert r.returncode == 78
    assert f"{t.config}:{line}: error: {fix}" in r.stderr, r.stderr
    p = subprocess.run([TERN, "-c", t.config, "serve"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 78
    assert f"{t.config}:{line}: {fix}" in p.stderr + t.log()


def test_reload_changes_restrictions_and_keeps_them_on_error(make_tern):
    """SIGHUP applies new lists to new sessions; a broken list is refused
    and the running ones stay."""
    t = make_tern()
    t.params["smtpd_relay_restrictions"] = "reject_unauth_destination"
    t.write_config()
    t.reload()
    wait_until(lambda: "reload -- configuration and tables reloaded" in t.log(), what="the reload")

    def local_relay():
        c = session(t.port)
        assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
        return c.cmd("RCPT TO:<u@elsewhere.example>")[0]
    assert local_relay() == 554
    t.params["smtpd_relay_restrictions"] = "permit_mynetworks, frobnicate, reject_unauth_destination"
    t.write_config()
    t.reload()
    wait_until(lambda: "reload failed" in t.log(), what="the failed reload")
    assert "unknown restriction 'frobnicate'" in t.log()
    assert local_relay() == 554


# --- with SMTP AUTH (enabled when the auth slice is on main) ------------------

def login(t, port, user="alice@virt.test", password="secret"):
    s = smtplib.SMTP("127.0.0.1", port, source_address=("127.0.0.2", 0))
    s.ehlo()
    if s.has_extn("starttls"):
        import ssl
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s.starttls(context=ctx)
        s.ehlo()
    s.login(user, password)
    return s


def test_authenticated_submission_relays_and_queues_remote(make_tern):
    """#48: alice logs in on 587 and sends to a remote address: 250, queued
    and deferred (remote delivery is issue 9); her own mailbox gets mail."""
    t = with_submission(make_tern, AUTH_WITHOUT_TLS)
    with login(t, t.sub_port) as s:
        s.sendmail("alice@virt.test", ["u@ext.test", "bob@virt.test"], b"Subject: out\r\n\r\nx\r\n")
    t.wait_for_mail("bob@virt.test")
    wait_until(lambda: "to=<u@ext.test>" in t.log() and "status=deferred" in t.log(), what="the deferral")


def test_authenticated_user_cannot_forge_another_account(make_tern):
    """#48: alice may send as herself and as an alias that leads to her,
    not as bob: 553 5.7.1 <bob@virt.test>: Sender address rejected: not
    owned by user alice@virt.test; nothing queued for the forgery."""
    t = with_submission(make_tern, AUTH_WITHOUT_TLS, files={"virtual": "info@alias.test alice@virt.test\n"})
    with login(t, t.sub_port) as s:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as e:
            s.sendmail("bob@virt.test", ["u@ext.test"], b"Subject: forged\r\n\r\nx\r\n")
        code, text = e.value.recipients["u@ext.test"]
        assert (code, text) == (553, b"5.7.1 <bob@virt.test>: Sender address rejected: not owned by user alice@virt.test")
        s.sendmail("info@alias.test", ["bob@virt.test"], b"Subject: as alias\r\n\r\nx\r\n")
    t.wait_for_mail("bob@virt.test")


def test_authenticated_relay_on_port_25(make_tern):
    """permit_sasl_authenticated in the default smtpd_relay_restrictions:
    a user logged in on port 25 from outside mynetworks may relay."""
    t = make_tern({"smtpd_sasl_auth_enable": "yes", **AUTH_WITHOUT_TLS})
    with login(t, t.port) as s:
        s.sendmail("alice@virt.test", ["u@ext.test"], b"Subject: out\r\n\r\nx\r\n")
    wait_until(lambda: "to=<u@ext.test>" in t.log(), what="the queued message")


def test_swaks_and_curl_see_the_relay_matrix(make_tern, workdir):
    """The same matrix through clients no one here wrote: swaks from
    127.0.0.2 gets 554 5.7.1 at RCPT on 25 and 530 5.7.0 at MAIL on 587;
    curl's SMTP upload fails on 587 with the 530."""
    t = with_submission(make_tern)

    def swaks(port, *args):
        return subprocess.run(["swaks", "--server", f"127.0.0.1:{port}", "--local-interface", "127.0.0.2",
                               "--helo", "swaks.example", "--from", "a@example.org", *args],
                              capture_output=True, text=True, timeout=30)
    r = swaks(t.port, "--to", "u@ext.test")
    assert r.returncode != 0 and "<** 554 5.7.1 <u@ext.test>: Relay access denied" in r.stdout, r.stdout
    r = swaks(t.sub_port, "--to", "alice@virt.test")
    assert r.returncode != 0 and "<** 530 5.7.0 Authentication required" in r.stdout, r.stdout
    msg = os.path.join(workdir, "msg")
    with open(msg, "w") as f:
        f.write("Subject: curl\r\n\r\nx\r\n")
    c = subprocess.run(["curl", "-sS", "--max-time", "20", f"smtp://127.0.0.1:{t.sub_port}", "--interface", "127.0.0.2",
                        "--mail-from", "a@example.org", "--mail-rcpt", "alice@virt.test", "--upload-file", msg],
                       capture_output=True, text=True, timeout=30)
    assert c.returncode != 0 and "530" in c.stderr, c.stderr
    assert nothing_queued(t)
    assert t.maildir("alice@virt.test") == []
