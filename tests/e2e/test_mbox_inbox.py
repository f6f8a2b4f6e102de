"""An account whose INBOX is an mbox file (userdb_mail=mbox:~/mail:INBOX=...):
mail delivered by tern over SMTP into the spool file, read and changed with
imaplib and poplib, the flags then read by Python's mailbox.mbox (Status /
X-Status) and by a throwaway Dovecot reading a copy of the same file with
the same UIDs and UIDVALIDITY."""

import imaplib
import mailbox
import os
import poplib
import re
import shutil
import smtplib
import subprocess

import pytest

from conftest import ME, free_port, wait_until
from dovecot_peer import Dovecot, have_dovecot

ALICE = "alice@virt.test"


def start_mbox_tern(make_tern, workdir, inbox=None):
    """tern with alice@virt.test's INBOX in the spool mbox of the user the
    tests run as (where tern delivers ME@local.test)."""
    port, pop_port = free_port(), free_port()
    t = make_tern({"imap_listen": f"127.0.0.1:{port}", "pop3_listen": f"127.0.0.1:{pop_port}",
                   "smtpd_sasl_failure_sleep_time": "0"}, start=False)
    t.imap_port, t.pop_port = port, pop_port
    t.inbox = os.path.join(t.spool, ME)
    t.home = os.path.join(workdir, "home-alice")
    os.makedirs(t.home, exist_ok=True)
    users = os.path.join(t.base, "users")
    out = []
    for line in open(users).read().splitlines():
        if line.startswith(ALICE + ":"):
            f = line.split(":")
            f += [""] * (8 - len(f))
            f[5] = t.home
            f[7] = f"userdb_mail=mbox:~/mail:INBOX={inbox or t.inbox}"
            line = ":".join(f)
        out.append(line)
    with open(users, "w") as fh:
        fh.write("\n".join(out) + "\n")
    t.start()
    return t


@pytest.fixture
def mbox_account(make_tern, workdir):
    return start_mbox_tern(make_tern, workdir)


def deliver(t, subject, body="hello\n"):
    msg = f"From: Sender <sender@example.org>\r\nTo: {ME}@local.test\r\nSubject: {subject}\r\n\r\n" + \
        body.replace("\n", "\r\n")
    with smtplib.SMTP("127.0.0.1", t.port, timeout=30) as s:
        s.sendmail("sender@example.org", [f"{ME}@local.test"], msg)


def ok(result):
    typ, data = result
    assert typ == "OK", (typ, data)
    return data


def subjects_and_flags(path):
    return [(m["Subject"], m.get_flags(), m["X-UID"]) for m in mailbox.mbox(path, create=False)]


def test_mbox_inbox_with_imap_pop3_python_and_dovecot(mbox_account, workdir):
    t = mbox_account
    # The queue delivers two messages queued together in either order; the
    # assertions below name them by place (UIDs 1 and 2), so m2 waits for m1.
    deliver(t, "m1")
    wait_until(lambda: len(t.mbox()) >= 1, what="the first delivery into the mbox")
    deliver(t, "m2", body="From here on\nit is quoted in the file\n")
    wait_until(lambda: len(t.mbox()) >= 2, what="two deliveries into the mbox")

    c = imaplib.IMAP4("127.0.0.1", t.imap_port, timeout=30)
    c.login(ALICE, "secret")
    exists = ok(c.select("INBOX"))[0]
    assert exists == b"2", exists
    validity = re.search(rb"UIDVALIDITY (\d+)", ok(c.status("INBOX", "(UIDVALIDITY)"))[0]).group(1)
    fetched = ok(c.uid("FETCH", "1:*", "(UID BODY.PEEK[])"))
    bodies = [x[1] for x in fetched if isinstance(x, tuple)]
    assert len(bodies) == 2 and b"\r\nFrom here on\r\n" in b"".join(bodies), bodies
    assert not any(b"X-UID" in b or b"X-IMAPbase" in b for b in bodies), bodies
    ok(c.uid("STORE", "1", "+FLAGS", "(\\Seen \\Flagged)"))
    ok(c.uid("STORE", "2", "+FLAGS", "(\\Answered)"))
    ok(c.append("INBOX", "(\\Draft)", None, b"Subject: appended\r\n\r\nby APPEND\r\n"))
    ok(c.append("INBOX", None, None, b"Subject: junk\r\n\r\nto be expunged\r\n"))
    ok(c.noop())
    ok(c.uid("STORE", "4", "+FLAGS", "(\\Deleted)"))
    assert ok(c.expunge()) == [b"4"]
    ok(c.uid("COPY", "1", "Archive"))
    ok(c.select("Archive"))
    ok(c.copy("1", "INBOX"))
    ok(c.select("INBOX"))
    listed = ok(c.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])"))
    # No mod-sequences in an mbox (RFC 7162 3.1.2): NOMODSEQ, and MODSEQ refused with BAD.
    ok(c.unselect())
    ok(c._simple_command("ENABLE", "CONDSTORE"))
    ok(c.select("INBOX"))
    assert "NOMODSEQ" in c.untagged_responses and "HIGHESTMODSEQ" not in c.untagged_responses
    with pytest.raises(imaplib.IMAP4.error, match="NOMODSEQ"):
        c.uid("FETCH", "1", "(MODSEQ)")
    c.logout()
    text = b" ".join(x[0] if isinstance(x, tuple) else x for x in listed)
    assert re.search(rb"UID 3 FLAGS \(\\Draft\)", text) and re.search(rb"UID 5 FLAGS \(", text), text
    assert b"junk" not in b"".join(x[1] for x in listed if isinstance(x, tuple)), listed

    # Python's mailbox reads the state tern wrote.
    seen = subjects_and_flags(t.inbox)
    assert [s for s, _, _ in seen] == ["m1", "m2", "appended", "m1"], seen
    assert [uid for _, _, uid in seen] == ["1", "2", "3", "5"], seen
    assert all("R" in f and "F" in f and "O" in f for s, f, _ in seen if s == "m1"), seen
    assert "A" in seen[1][1] and "R" not in seen[1][1] and "T" in seen[2][1], seen
    raw = open(t.inbox, "rb").read()
    assert raw.count(b"X-IMAPbase: " + validity + b" ") == 1 and b"\n>From here on\n" in raw, raw

    # POP3: UIDL stable across sessions; DELE takes effect at QUIT.
    p = poplib.POP3("127.0.0.1", t.pop_port, timeout=30)
    p.user(ALICE)
    p.pass_("secret")
    uidls = [l.split()[1].decode() for l in p.uidl()[1]]
    assert len(uidls) == 4 and uidls[0] == f"{1:08x}{int(validity):08x}", uidls
    assert b"m1" in b"\n".join(p.retr(1)[1])
    p.dele(1)
    p.quit()
    p = poplib.POP3("127.0.0.1", t.pop_port, timeout=30)
    p.user(ALICE)
    p.pass_("secret")
    after = [l.split()[1].decode() for l in p.uidl()[1]]
    p.quit()
    assert after == uidls[1:], (uidls, after)
    assert len(list(mailbox.mbox(t.inbox, create=False))) == 3

    # Dovecot reads a copy of the same file with the same UIDs and flags.
    if not have_dovecot():
        pytest.skip("Dovecot not installed: the interop half is not run")
    dovecot_mail = os.path.join(workdir, "dovecot-mbox")
    os.makedirs(os.path.join(dovecot_mail, "virt.test", "alice"))
    shutil.copyfile(t.inbox, os.path.join(dovecot_mail, "inbox"))
    dc = Dovecot(workdir, dovecot_mail,
                 extra_conf=f"mail_location = mbox:{dovecot_mail}/%d/%n:INBOX={dovecot_mail}/inbox\n")
    dc.hand_over()
    dc.start()
    try:
        d = imaplib.IMAP4("127.0.0.1", dc.imap_port, timeout=30)
        d.login(ALICE, "anything")
        status = ok(d.status("INBOX", "(UIDVALIDITY MESSAGES)"))[0]
        ok(d.select("INBOX"))
        flags = ok(d.uid("FETCH", "1:*", "(UID FLAGS)"))
        d.logout()
    except (imaplib.IMAP4.error, OSError) as e:
        raise AssertionError(f"{e}: {dc.log()}")
    finally:
        dc.stop()
    assert b"UIDVALIDITY " + validity in status and b"MESSAGES 3" in status, (status, dc.log())
    joined = b" ".join(x if isinstance(x, bytes) else x[0] for x in flags)
    assert re.search(rb"UID 2 FLAGS \(\\Answered\)", joined), joined
    assert re.search(rb"UID 3 FLAGS \(\\Draft\)", joined), joined
    assert re.search(rb"UID 5 FLAGS \((\\Seen \\Flagged|\\Flagged \\Seen)\)", joined), joined


def test_bad_mail_location_is_refused_with_unavailable(make_tern, workdir):
    t = start_mbox_tern(make_tern, workdir, inbox="/var/mail/../../etc/%u")
    c = imaplib.IMAP4("127.0.0.1", t.imap_port, timeout=30)
    with pytest.raises(imaplib.IMAP4.error) as e:
        c.login(ALICE, "secret")
    assert "UNAVAILABLE" in str(e.value), e.value
    assert not os.path.exists("/etc/" + ALICE)
    assert "mail location refused" in t.log(), t.log()
