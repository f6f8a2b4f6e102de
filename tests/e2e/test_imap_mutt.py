"""NeoMutt as tern's IMAP client, headless: in batch mode (a message sent
with -s from standard input and its copy APPENDed to tern's Sent folder by
record=), and driven through a pseudo-terminal by a push macro (it logs
in, opens INBOX, flags a message, copies it to Archive, deletes another,
syncs and quits). Every run has a timeout and a terminal of fixed size;
what tern then holds is read back with imaplib."""

import fcntl
import imaplib
import os
import pty
import select
import shutil
import smtplib
import struct
import subprocess
import termios
import time

import pytest

from conftest import free_port

ALICE = "alice@virt.test"
NEOMUTT = shutil.which("neomutt")

pytestmark = pytest.mark.skipif(NEOMUTT is None, reason="neomutt not installed (scripts/install-deps.sh)")


@pytest.fixture
def imap(make_tern):
    port = free_port()
    t = make_tern({"imap_listen": f"127.0.0.1:{port}", "smtpd_sasl_failure_sleep_time": "0"})
    t.imap_port = port
    return t


def muttrc(workdir, port, extra=""):
    """A muttrc that asks nothing: credentials given, no caches, no prompts."""
    path = os.path.join(workdir, "muttrc")
    with open(path, "w") as f:
        f.write(f"""set imap_user = "{ALICE}"
set imap_pass = "secret"
set folder = "imap://127.0.0.1:{port}/"
set spoolfile = "+INBOX"
set record = "+Sent"
set copy = yes
set from = "{ALICE}"
set realname = "Alice"
set sendmail = "/bin/true"
set editor = "/bin/true"
set abort_unmodified = no
set autoedit = yes
set edit_headers = yes
set ssl_starttls = no
set ssl_force_tls = no
set header_cache = ""
set message_cachedir = ""
set imap_check_subscribed = no
set mail_check_stats = no
set confirmappend = no
set confirmcreate = no
set quit = yes
set delete = yes
set move = no
set mark_old = no
set wait_key = no
set resolve = no
set beep = no
set timeout = 1
set imap_keepalive = 30
{extra}
""")
    return path


def env(workdir):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("MUTT", "NEOMUTT", "MAIL", "EMAIL"))}
    e.update(HOME=workdir, TERM="xterm", LANG="C.UTF-8", LC_ALL="C.UTF-8", TZ="UTC")
    return e


def fetch_all(tern, folder):
    c = imaplib.IMAP4("127.0.0.1", tern.imap_port, timeout=30)
    c.login(ALICE, "secret")
    typ, data = c.select(folder)
    assert typ == "OK", data
    typ, data = c.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])") if int(data[0]) else ("OK", [])
    c.logout()
    return [(x[0], x[1].strip()) for x in data if isinstance(x, tuple)]


def test_batch_mode_skips_an_imap_fcc_and_a_save_from_mbox_appends(imap, workdir):
    """NeoMutt's batch mode (standard input no terminal) sends, but skips an
    Fcc to an IMAP folder ("not supported in batch mode"), so nothing comes
    to Sent that way; a message saved from a local mbox into tern's Sent on
    a pseudo-terminal is APPENDed."""
    rc = muttrc(workdir, imap.imap_port)
    r = subprocess.run([NEOMUTT, "-n", "-F", rc, "-s", "Batch from mutt", "--", "bob@example.org"],
                       input=b"Hello from NeoMutt\n", env=env(workdir), cwd=workdir, capture_output=True, timeout=60)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert b"not supported in batch mode" in r.stderr, r.stderr
    assert fetch_all(imap, "Sent") == []
    # A message saved from a local mbox into a tern folder is an APPEND.
    local = os.path.join(workdir, "local.mbox")
    with open(local, "w") as f:
        f.write(f"From bob@example.org Thu Dec  3 10:00:00 2026\nFrom: Bob <bob@example.org>\nTo: {ALICE}\n"
                "Subject: Saved by mutt\nDate: Thu, 03 Dec 2026 10:00:00 +0000\n\nHello from an mbox\n\n")
    code, screen = run_in_pty([NEOMUTT, "-n", "-F", rc, "-f", local, "-e",
                               'push "<save-message>+Sent<enter><sync-mailbox><quit>"'], env(workdir), workdir)
    assert code == 0, screen[-2000:]
    sent = fetch_all(imap, "Sent")
    assert [s for _, s in sent] == [b"Subject: Saved by mutt"], (sent, screen[-2000:])


def _deliver(tern, subject):
    msg = f"From: Sender <sender@example.org>\r\nTo: {ALICE}\r\nSubject: {subject}\r\n\r\nbody of {subject}\r\n"
    with smtplib.SMTP("127.0.0.1", tern.port, timeout=30) as s:
        s.sendmail("sender@example.org", [ALICE], msg)


def run_in_pty(argv, env, cwd, timeout=30):
    """Runs argv on a 24x80 pseudo-terminal, reading what it draws, until
    it exits; kills it after timeout. Returns (exit code, screen bytes)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, start_new_session=True)
    os.close(slave)
    screen = b""
    deadline = time.monotonic() + timeout
    try:
        while p.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    screen += os.read(master, 65536)
                except OSError:
                    break  # the terminal's other end closed: the program is ending
        try:
            return p.wait(timeout=max(0.1, deadline - time.monotonic())), screen
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise AssertionError(f"neomutt did not exit within {timeout} s: {screen[-2000:]!r}")
    finally:
        os.close(master)


def test_push_macro_flags_copies_and_deletes_over_imap(imap, workdir):
    for s in ("keep me", "delete me"):
        _deliver(imap, s)
    imap.wait_for_mail(ALICE, 2)
    rc = muttrc(workdir, imap.imap_port, extra="set sort = date-sent\n")
    # In INBOX: flag the first message and copy it to Archive, delete the
    # one whose subject says so, write the changes, quit.
    macro = ("<first-entry><flag-message><copy-message>=Archive<enter>"
             "<delete-pattern>~s delete<enter><sync-mailbox><quit>")
    code, screen = run_in_pty([NEOMUTT, "-n", "-F", rc, "-f", "+INBOX", "-e", f'push "{macro}"'],
                              env(workdir), workdir)
    assert code == 0, screen[-2000:]
    inbox = fetch_all(imap, "INBOX")
    assert [s for _, s in inbox] == [b"Subject: keep me"], (inbox, screen[-2000:])
    assert b"\\Flagged" in inbox[0][0], inbox
    archive = fetch_all(imap, "Archive")
    assert [s for _, s in archive] == [b"Subject: keep me"], archive
