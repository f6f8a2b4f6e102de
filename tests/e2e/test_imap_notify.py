"""NOTIFY (RFC 5465) against the real server: a client that set NOTIFY and
sends nothing more hears of mail delivered over SMTP, of another client's
new folder, its APPEND, SUBSCRIBE and EXPUNGE, each within seconds (pushed:
the poll for other processes' changes is every 30 s), in the order they
happened, and the session then goes on with commands as before."""

import select
import socket
import time

from imap_account import ALICE, connect, deliver, imap, ok, raw  # noqa: F401 (fixture)


def read_until(c, want, seconds=10):
    """Lines the server sends unasked, until one contains `want`."""
    c.sock.settimeout(seconds)
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            line = c.readline().decode("utf-8", "replace")
        except socket.timeout:
            break
        seen.append(line.rstrip("\r\n"))
        if want in line:
            return seen
    raise AssertionError(f"never got {want!r}; got {seen!r}")


def test_notify_pushes_delivery_and_other_clients_changes(imap):
    deliver(imap, "first")
    imap.wait_for_mail(ALICE)
    a = connect(imap)
    ok(a.select("INBOX"))
    text, lines, _ = raw(a, "NOTIFY SET (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (Subject)]) MessageExpunge)) "
                            "(personal (MessageNew MessageExpunge MailboxName SubscriptionChange))")
    assert text.startswith("OK"), (text, lines)

    started = time.monotonic()
    deliver(imap, "second")
    seen = read_until(a, "Subject: second")
    assert "* 2 EXISTS" in seen, seen
    assert any(line.startswith("* 2 FETCH (UID 2 BODY[HEADER.FIELDS (SUBJECT)]") for line in seen), seen
    assert time.monotonic() - started < 10

    b = connect(imap)
    ok(b.create("Lists"))
    read_until(a, '* LIST () "." Lists')
    ok(b.append("Lists", None, None, b"Subject: list mail\r\n\r\nhi\r\n"))
    seen = read_until(a, "* STATUS Lists")
    status = seen[-1]
    assert "MESSAGES 1" in status and "UIDNEXT 2" in status and "UNSEEN 1" in status, status
    ok(b.subscribe("Lists"))
    read_until(a, '* LIST (\\Subscribed) "." Lists')
    ok(b.select("INBOX"))
    ok(b.store("1", "+FLAGS.SILENT", "\\Deleted"))
    ok(b.expunge())
    read_until(a, "* 1 EXPUNGE")
    b.logout()

    # The session goes on: the message that is left, still unseen (PEEK).
    a.sock.settimeout(30)
    data = ok(a.fetch("1", "(UID FLAGS)"))
    assert b"UID 2" in data[0] and b"\\Seen" not in data[0], data
    text, _, _ = raw(a, "NOTIFY NONE")
    assert text.startswith("OK")
    deliver(imap, "third")
    imap.wait_for_mail(ALICE, 2)
    readable, _, _ = select.select([a.sock], [], [], 2)
    assert not readable  # NOTIFY NONE: nothing more unasked
    ok(a.noop())
    a.logout()


def test_notify_refusals(imap):
    a = connect(imap)
    text, _, _ = raw(a, "NOTIFY SET (personal (AnnotationChange))")
    assert text.startswith("NO [BADEVENT ("), text
    text, _, _ = raw(a, "NOTIFY SET (personal (MessageNew))")
    assert text.startswith("BAD"), text
    text, _, _ = raw(a, "NOTIFY SET STATUS (mailboxes (INBOX \"../../etc\" nosuch) (MessageNew MessageExpunge))")
    assert text.startswith("OK"), text
    ok(a.noop())
    a.logout()
