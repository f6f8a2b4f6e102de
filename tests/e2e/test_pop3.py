"""POP3 (issue 10, RFC 1939/2449/2595) against the real binary: mail
delivered over SMTP into a virtual account's Maildir is read back with
Python's poplib (USER/PASS, STLS, POP3S), curl's pop3:// and pop3s://, and
fetchmail into an MDA command; the ids are Dovecot's (doveadm reads the same
Maildir and reports the same UIDLs and sizes). Beyond the happy path: a
second session on the same maildrop, deletions that must not happen (a
dropped connection, a shutdown), the wrong password, a reload in the middle,
a message IMAP (here: another program) removed while POP3 had it listed."""

import os
import poplib
import re
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess

import pytest

from conftest import fetchmail_argv, free_port, wait_until
from dovecot_peer import Dovecot, have_dovecot
from tls_pki import Pki

ALICE = "alice@virt.test"


def deliver(tern, subject, body="body line\n.starts with a dot\n", rcpt=ALICE):
    msg = f"From: sender@example.org\r\nTo: {rcpt}\r\nSubject: {subject}\r\n\r\n{body.replace(chr(10), chr(13) + chr(10))}"
    with smtplib.SMTP("127.0.0.1", tern.port, timeout=30) as s:
        s.sendmail("sender@example.org", [rcpt], msg)


def maildir_files(tern, address=ALICE):
    """{file name: bytes} of every message file in new/ and cur/."""
    out = {}
    root = tern.maildir_path(address)
    for sub in ("new", "cur"):
        d = os.path.join(root, sub)
        if os.path.isdir(d):
            for n in os.listdir(d):
                with open(os.path.join(d, n), "rb") as f:
                    out[n] = f.read()
    return out


def crlf(data):
    return re.sub(rb"(?<!\r)\n", b"\r\n", data)


@pytest.fixture
def pop(make_tern):
    """tern with POP3 on a second port (tern.pop_port); plaintext logins are
    fine from loopback, as with Dovecot's disable_plaintext_auth."""
    port = free_port()
    t = make_tern({"pop3_listen": f"127.0.0.1:{port}", "smtpd_sasl_failure_sleep_time": "0"})
    t.pop_port = port
    return t


def login(tern, user=ALICE, password="secret"):
    p = poplib.POP3("127.0.0.1", tern.pop_port, timeout=30)
    p.user(user)
    p.pass_(password)
    return p


def test_poplib_reads_what_smtp_delivered(pop):
    for i in range(3):
        deliver(pop, f"message {i}")
    pop.wait_for_mail(ALICE, 3)
    files = maildir_files(pop)
    p = login(pop)
    count, octets = p.stat()
    assert count == 3
    assert octets == sum(len(crlf(b)) for b in files.values())
    resp, listing, _ = p.list()
    sizes = [int(line.split()[1]) for line in listing]
    assert sorted(sizes) == sorted(len(crlf(b)) for b in files.values())
    subjects = []
    for n in (1, 2, 3):
        resp, lines, size = p.retr(n)
        assert resp.startswith(b"+OK")
        text = b"\r\n".join(lines) + b"\r\n"
        # poplib undoes dot-stuffing: the bytes are the file's, in CRLF.
        assert text in {crlf(b) for b in files.values()}
        assert b".starts with a dot" in lines
        subjects.append([l for l in lines if l.startswith(b"Subject:")][0])
    # Deliveries run in parallel, so the order is not fixed; each is there once.
    assert sorted(subjects) == [b"Subject: message 0", b"Subject: message 1", b"Subject: message 2"]
    resp, lines, _ = p.top(2, 0)
    assert b"Subject: message 1" in lines and b"body line" not in lines and lines[-1] == b""
    resp, lines, _ = p.top(2, 1)
    assert lines[-1] == b"body line"
    assert p.quit().startswith(b"+OK")
    assert len(maildir_files(pop)) == 3  # nothing was deleted
    assert re.search(r"pop3: \[127\.0\.0\.1\]: method=PASS, user=alice@virt\.test: logged in, 3 message", pop.log())


def test_uidl_is_dovecot_form_and_stable_across_sessions(pop):
    deliver(pop, "first")
    deliver(pop, "second")
    pop.wait_for_mail(ALICE, 2)
    p = login(pop)
    first = [l.split()[1].decode() for l in p.uidl()[1]]
    p.quit()
    # Hex of the IMAP UID, then of UIDVALIDITY (dovecot-uidlist's header), as Dovecot writes it.
    with open(os.path.join(pop.maildir_path(ALICE), "dovecot-uidlist")) as f:
        validity = int(re.search(r"V(\d+)", f.readline()).group(1))
    assert first == [f"{1:08x}{validity:08x}", f"{2:08x}{validity:08x}"]
    deliver(pop, "third")
    pop.wait_for_mail(ALICE, 3)
    p = login(pop)
    second = [l.split()[1].decode() for l in p.uidl()[1]]
    assert second[:2] == first and second[2] == f"{3:08x}{validity:08x}"
    assert p.uidl(3).split()[2].decode() == second[2]
    p.dele(1)
    p.quit()
    p = login(pop)
    assert [l.split()[1].decode() for l in p.uidl()[1]] == second[1:]  # no id reused or shifted
    p.quit()


def test_dele_takes_effect_only_at_quit(pop):
    for i in range(3):
        deliver(pop, f"m{i}")
    pop.wait_for_mail(ALICE, 3)
    # Dropped connection after DELE: nothing is deleted.
    p = login(pop)
    p.dele(1)
    p.dele(2)
    p.close()  # no QUIT
    wait_until(lambda: _can_login(pop), what="the dropped session's lock to go")
    assert len(maildir_files(pop)) == 3
    # RSET undoes marks; DELE of a deleted message is an error.
    p = login(pop)
    p.dele(1)
    with pytest.raises(poplib.error_proto, match="already deleted"):
        p.dele(1)
    with pytest.raises(poplib.error_proto):
        p.retr(1)
    assert p.stat()[0] == 2
    p.rset()
    assert p.stat()[0] == 3
    # Deliveries run in parallel, so message 2 is not necessarily m1: note which it is.
    second = next(l for l in p.top(2, 0)[1] if l.startswith(b"Subject: "))
    p.dele(2)
    p.quit()
    files = maildir_files(pop)
    assert len(files) == 2 and not any(second in b for b in files.values()), second


def _can_login(tern):
    try:
        p = login(tern)
    except poplib.error_proto as e:
        if b"IN-USE" in e.args[0]:
            return False
        raise
    p.quit()
    return True


def test_second_session_gets_in_use_and_first_is_unharmed(pop):
    deliver(pop, "locked")
    pop.wait_for_mail(ALICE)
    first = login(pop)
    second = poplib.POP3("127.0.0.1", pop.pop_port, timeout=30)
    second.user(ALICE)
    with pytest.raises(poplib.error_proto, match=r"\[IN-USE\]"):
        second.pass_("secret")
    second.close()
    assert first.stat()[0] == 1
    first.dele(1)
    first.quit()
    assert maildir_files(pop) == {}
    assert login(pop).stat()[0] == 0  # the lock went with the first session


def test_wrong_password_and_unknown_user(pop):
    deliver(pop, "x")
    p = poplib.POP3("127.0.0.1", pop.pop_port, timeout=30)
    p.user(ALICE)
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\]"):
        p.pass_("wrong")
    p.user("nobody@virt.test")
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\]"):
        p.pass_("secret")
    p.user(ALICE)
    p.pass_("secret")  # the session goes on after failures
    p.quit()


def test_message_removed_meanwhile_does_not_break_quit(pop):
    """Another reader (IMAP, or Dovecot) expunges a message POP3 listed:
    RETR of it fails cleanly and QUIT still commits the other deletions."""
    for i in range(2):
        deliver(pop, f"r{i}")
    pop.wait_for_mail(ALICE, 2)
    p = login(pop)
    first = next(l for l in p.top(1, 0)[1] if l.startswith(b"Subject: "))
    root = pop.maildir_path(ALICE)
    for sub in ("cur", "new"):
        for n in os.listdir(os.path.join(root, sub)):
            with open(os.path.join(root, sub, n), "rb") as f:
                if first in f.read():
                    os.unlink(os.path.join(root, sub, n))
    with pytest.raises(poplib.error_proto):
        p.retr(1)
    p.dele(1)
    p.dele(2)
    assert p.quit().startswith(b"+OK")
    assert maildir_files(pop) == {}


def test_sigterm_mid_session_deletes_nothing(pop):
    deliver(pop, "keep me")
    pop.wait_for_mail(ALICE)
    p = login(pop)
    p.dele(1)
    pop.stop()
    with pytest.raises((poplib.error_proto, EOFError, ConnectionError, OSError)):
        p.quit()
    assert len(maildir_files(pop)) == 1


def test_reload_keeps_pop3_serving(pop):
    deliver(pop, "before reload")
    pop.wait_for_mail(ALICE)
    p = login(pop)
    pop.reload()
    wait_until(lambda: "reload --" in pop.log(), what="the reload")
    assert p.retr(1)[0].startswith(b"+OK")  # the running session is unharmed
    p.quit()
    assert login(pop).stat()[0] == 1


def test_pop3_and_pop3s_with_tls(make_tern, workdir):
    pki = Pki(workdir)
    cert, key = pki.issue("server")
    plain, implicit = free_port(), free_port()
    t = make_tern({"smtpd_tls_cert_file": cert, "smtpd_tls_key_file": key, "pop3_listen": f"127.0.0.1:{plain}",
                   "pop3s_listen": f"127.0.0.1:{implicit}", "pop3d_tls_auth_only": "yes"})
    deliver(t, "secret mail")
    t.wait_for_mail(ALICE)
    ctx = ssl.create_default_context(cafile=pki.ca)
    ctx.check_hostname = False  # the certificate names mx.test.example; the address is checked by IP SAN
    p = poplib.POP3("127.0.0.1", plain, timeout=30)
    assert "STLS" in p.capa()
    p.stls(context=ctx)
    assert "STLS" not in p.capa()
    p.user(ALICE)
    p.pass_("secret")
    assert p.stat()[0] == 1
    p.quit()
    s = poplib.POP3_SSL("127.0.0.1", implicit, timeout=30, context=ctx)
    s.user(ALICE)
    s.pass_("secret")
    assert b"Subject: secret mail" in s.retr(1)[1]
    s.quit()
    # curl over POP3S, verifying the certificate.
    out = subprocess.run(["curl", "-sS", "--cacert", pki.ca, "--resolve", f"mx.test.example:{implicit}:127.0.0.1",
                          "--user", f"{ALICE}:secret", f"pop3s://mx.test.example:{implicit}/1"],
                         capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert b"Subject: secret mail" in out.stdout


def test_curl_lists_and_retrieves(pop):
    deliver(pop, "for curl")
    deliver(pop, "another")
    pop.wait_for_mail(ALICE, 2)
    url = f"pop3://127.0.0.1:{pop.pop_port}/"
    listing = subprocess.run(["curl", "-sS", "--user", f"{ALICE}:secret", url], capture_output=True, timeout=60)
    assert listing.returncode == 0, listing.stderr
    assert [l.split()[0] for l in listing.stdout.splitlines()] == [b"1", b"2"]
    msg = subprocess.run(["curl", "-sS", "--user", f"{ALICE}:secret", url + "2"], capture_output=True, timeout=60)
    assert msg.returncode == 0 and b"Subject: another" in msg.stdout
    bad = subprocess.run(["curl", "-sS", "--user", f"{ALICE}:nope", url], capture_output=True, timeout=60)
    assert bad.returncode == 67  # CURLE_LOGIN_DENIED


@pytest.mark.skipif(shutil.which("fetchmail") is None, reason="fetchmail not installed")
def test_fetchmail_pulls_into_an_mda_and_deletes(pop, workdir):
    for i in range(3):
        deliver(pop, f"fetch {i}")
    pop.wait_for_mail(ALICE, 3)
    out_dir = os.path.join(workdir, "fetched")
    os.makedirs(out_dir)
    rc = os.path.join(workdir, "fetchmailrc")
    # One file per message, written by the MDA command fetchmail runs.
    mda = f"sh -c 'cat > {out_dir}/$$'"
    with open(rc, "w") as f:
        f.write(f'poll 127.0.0.1 service {pop.pop_port} protocol pop3 auth password\n'
                f'  user "{ALICE}" password "secret" is "{os.environ.get("USER", "root")}" here\n'
                f'  sslproto "" mda "{mda}"\n')
    os.chmod(rc, 0o600)
    env = {**os.environ, "HOME": workdir, "FETCHMAILHOME": workdir}
    r = subprocess.run(fetchmail_argv(rc, workdir) + ["--nodetach", "--nosyslog", "-v"], capture_output=True, text=True,
                       timeout=120, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    got = sorted(open(os.path.join(out_dir, n), "rb").read() for n in os.listdir(out_dir))
    assert len(got) == 3 and all(b"Subject: fetch" in g for g in got)
    assert maildir_files(pop) == {}  # fetchmail deletes what it fetched (no "keep")
    # A second run finds nothing and says so (exit 1: no mail).
    r = subprocess.run(fetchmail_argv(rc, workdir) + ["--nodetach", "--nosyslog"], capture_output=True, text=True,
                       timeout=120, env=env)
    assert r.returncode == 1, r.stdout + r.stderr


def test_no_virtual_mailbox_base_is_a_temporary_error(make_tern):
    port = free_port()
    t = make_tern({"pop3_listen": f"127.0.0.1:{port}", "virtual_mailbox_base": "", "virtual_mailbox_domains": ""})
    p = poplib.POP3("127.0.0.1", port, timeout=30)
    p.user(ALICE)
    with pytest.raises(poplib.error_proto, match=r"SYS/TEMP"):
        p.pass_("secret")
    assert "virtual_mailbox_base is not set" in t.log()


def test_pop3s_without_certificate_refuses_to_start(make_tern):
    t = make_tern({"pop3s_listen": f"127.0.0.1:{free_port()}"}, start=False)
    with pytest.raises(AssertionError, match="pop3s_listen needs a certificate"):
        t.start()
    t.proc = None


@pytest.mark.skipif(not have_dovecot(), reason="Dovecot (dovecot-pop3d, dovecot-imapd) not installed")
def test_dovecot_pop3_gives_the_same_ids_and_sizes(pop, workdir):
    """A user who moves between tern and Dovecot on the same Maildir keeps
    the messages left on the server: Dovecot's POP3 (default
    pop3_uidl_format) lists the same UIDLs and sizes, and a message tern
    deleted at QUIT is gone for Dovecot too."""
    for i in range(3):
        deliver(pop, f"shared {i}", body="line\n" * (i + 1))
    pop.wait_for_mail(ALICE, 3)
    p = login(pop)
    tern_uidl = p.uidl()[1]
    tern_list = p.list()[1]
    p.dele(2)
    p.quit()
    dc = Dovecot(workdir, pop.vmail)
    dc.hand_over()
    dc.start()
    try:
        d = poplib.POP3("127.0.0.1", dc.pop3_port, timeout=30)
        d.user(ALICE)
        d.pass_("anything")
        dc_uidl = [l.split()[1] for l in d.uidl()[1]]
        dc_sizes = [l.split()[1] for l in d.list()[1]]
        d.quit()
    except (poplib.error_proto, OSError) as e:
        raise AssertionError(f"{e}: {dc.log()}")
    finally:
        dc.stop()
    assert dc_uidl == [tern_uidl[0].split()[1], tern_uidl[2].split()[1]], dc.log()
    assert dc_sizes == [tern_list[0].split()[1], tern_list[2].split()[1]]


def test_retrieved_messages_become_seen_at_quit(pop):
    """As Dovecot by default: RETR marks \\Seen at QUIT (S in the Maildir
    file name, what IMAP clients and mutt show), TOP does not, and a session
    that ends without QUIT changes no flag."""
    for i in range(3):
        deliver(pop, f"s{i}")
    pop.wait_for_mail(ALICE, 3)

    def seen_subjects():
        out = set()
        cur = os.path.join(pop.maildir_path(ALICE), "cur")
        for n in os.listdir(cur):
            if ":2," in n and "S" in n.split(":2,")[1]:
                with open(os.path.join(cur, n), "rb") as f:
                    out.add(re.search(rb"Subject: (s\d)", f.read()).group(1).decode())
        return out

    p = login(pop)
    p.retr(1)
    p.close()  # no QUIT
    wait_until(lambda: _can_login(pop), what="the dropped session's lock to go")
    assert seen_subjects() == set()
    p = login(pop)
    first = next(l for l in p.retr(1)[1] if l.startswith(b"Subject: "))[len("Subject: "):].decode()
    p.top(2, 0)
    p.retr(3)
    p.dele(3)
    p.quit()
    assert seen_subjects() == {first}
