"""Dovecot's own IMAP load generator, imaptest, against tern: ten clients on
five accounts log in, select, fetch, search, store flags and keywords,
expunge, copy and append at random for a few seconds, several on the same
mailbox at once, and imaptest checks every answer against the state it has
seen (an EXISTS that went backwards, flags that changed without a FETCH, a
UID reused, a message whose body changed...). Each inconsistency is an
"Error:" line; the test wants none, in the mix where sessions stay logged in
and in the default one (a login and a logout every nine commands or so).
This is the test that exercises IMAP sessions on several event loops
(imap_threads) changing the same folders at the same time.

imaptest is built once from tests/tools/imaptest (about 30 s) into
build/tools/imaptest."""

import fcntl
import os
import random
import re
import subprocess

import pytest

from conftest import ROOT, free_port

USERS = 5
PASSWORD = "secret"


@pytest.fixture(scope="session")
def imaptest_binary():
    out = os.path.join(ROOT, "build", "tools", "imaptest")
    os.makedirs(out, exist_ok=True)
    # One build for all pytest workers: the others wait for it.
    with open(os.path.join(out, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = subprocess.run([os.path.join(ROOT, "tests", "tools", "imaptest", "build.sh"), out],
                              capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def write_mbox(path, count=60):
    """Messages for APPEND, as imaptest wants them: CRLF, a unique
    Message-ID each, plain and multipart, 1 to 20 KiB."""
    rnd = random.Random(7)
    words = "alpha beta gamma delta mail server folder inbox relay queue tern".split()
    with open(path, "wb") as f:
        for i in range(count):
            body = "\r\n".join(" ".join(rnd.choice(words) for _ in range(12)) for _ in range(rnd.randint(10, 300)))
            head = (f"From: Sender {i} <s{i}@example.org>\r\nTo: <rcpt{i % 7}@example.com>\r\n"
                    f"Subject: test {i} {rnd.choice(words)}\r\nDate: Mon, {1 + i % 28} Jan 2024 10:00:00 +0000\r\n"
                    f"Message-ID: <imaptest.{i}@example.org>\r\n")
            if i % 3 == 0:
                msg = (head + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
                       f"--b\r\nContent-Type: text/plain\r\n\r\n{body}\r\n--b\r\n"
                       "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                       "aGVsbG8gd29ybGQ=\r\n--b--\r\n")
            else:
                msg = head + "\r\n" + body + "\r\n"
            f.write(f"From s{i}@example.org Mon Jan  1 10:00:00 2024\r\n".encode() + msg.encode() + b"\r\n")


@pytest.fixture
def tern_for_imaptest(make_tern, workdir):
    port = free_port()
    users = [f"user{i}@virt.test" for i in range(1, USERS + 1)]
    t = make_tern({"imap_listen": f"127.0.0.1:{port}", "smtpd_sasl_failure_limit": "0"}, users=users)
    t.imap_port = port
    mbox = os.path.join(workdir, "imaptest.mbox")
    write_mbox(mbox)
    t.mbox = mbox
    return t


def run_imaptest(binary, tern, workdir, extra=()):
    argv = [binary, "host=127.0.0.1", f"port={tern.imap_port}", "user=user%d@virt.test", f"users={USERS}",
            f"pass={PASSWORD}", f"mbox={tern.mbox}", "clients=10", "secs=6", "seed=123", *extra]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=workdir)
    out = done.stdout + done.stderr
    errors = [line for line in out.splitlines() if re.search(r"\b(Error|Panic|Fatal):", line)]
    return errors, out, totals_of(out)


def totals_of(out):
    """imaptest's closing table: after "Totals:", a row of command names
    (Logi List Stat Sele Fetc ...) and, under the percentage rows, a row of
    counts. {name: count}, or {} when there is none."""
    lines = out.split("Totals:", 1)[1].splitlines() if "Totals:" in out else []
    names = next((line.split() for line in lines if line.split() and line.split()[0] == "Logi"), None)
    counts = next((line.split() for line in lines if line.split() and all(w.isdigit() for w in line.split())), None)
    if not names or not counts or len(names) != len(counts):
        return {}
    return dict(zip(names, map(int, counts)))


def did_real_work(totals, out):
    assert totals, out[-3000:]
    assert totals["Logi"] >= 10, out[-3000:]
    for command in ("Fetc", "Stor", "Expu", "Appe"):
        assert totals.get(command, 0) >= 20, (command, out[-3000:])


def test_logged_in_sessions_give_consistent_answers(imaptest_binary, tern_for_imaptest, workdir):
    errors, out, totals = run_imaptest(imaptest_binary, tern_for_imaptest, workdir, ["logout=0"])
    assert not errors, "\n".join(errors[:20])
    did_real_work(totals, out)
    assert "Too many open files" not in tern_for_imaptest.log()


def test_default_mix_with_logins_gives_consistent_answers(imaptest_binary, tern_for_imaptest, workdir):
    errors, out, totals = run_imaptest(imaptest_binary, tern_for_imaptest, workdir)
    assert not errors, "\n".join(errors[:20])
    did_real_work(totals, out)


def test_qresync_sessions_give_consistent_answers(imaptest_binary, tern_for_imaptest, workdir):
    """imaptest's qresync mode: each login ENABLEs QRESYNC and SELECTs with
    the UIDVALIDITY and HIGHESTMODSEQ it kept from its last session, then
    checks the VANISHED (EARLIER) and FETCH it gets back, and every MODSEQ
    after (none may go backwards; an owned message's may not move)."""
    errors, out, totals = run_imaptest(imaptest_binary, tern_for_imaptest, workdir, ["qresync"])
    assert not errors, "\n".join(errors[:20])
    did_real_work(totals, out)
