"""CONDSTORE and QRESYNC (RFC 7162) against the real binary with Python's
imaplib: a client that remembers UIDVALIDITY and HIGHESTMODSEQ comes back
after another client (not using CONDSTORE) and another program (Python's
mailbox module renaming a Maildir file) changed flags and expunged
messages, and after tern was killed with SIGKILL and started again; it
learns exactly those changes, and mod-sequences never go backwards."""

import mailbox
import re

from imap_account import ALICE, connect, deliver, imap, ok, raw  # noqa: F401 (imap: a fixture)

def qresync_select(c, validity, modseq):
    """SELECT with the QRESYNC parameter: the tagged reply, the untagged lines."""
    tagged, lines, _ = raw(c, f"SELECT INBOX (QRESYNC ({validity} {modseq}))")
    c.state = "SELECTED"
    return tagged, lines


def test_a_client_back_after_changes_and_a_crash_learns_exactly_them(imap):
    for subject in ("one", "two", "three", "four"):
        deliver(imap, subject)
    imap.wait_for_mail(ALICE, 4)
    a = connect(imap)
    assert ok(a._simple_command("ENABLE", "QRESYNC"))
    ok(a.select("INBOX"))
    validity = int(a.untagged_responses["UIDVALIDITY"][-1])
    known = int(a.untagged_responses["HIGHESTMODSEQ"][-1])
    a.logout()

    # Another client, without CONDSTORE: \Flagged on UID 1, UID 2 expunged.
    b = connect(imap)
    ok(b.select("INBOX"))
    ok(b.uid("STORE", "1", "+FLAGS", "(\\Flagged)"))
    ok(b.uid("STORE", "2", "+FLAGS", "(\\Deleted)"))
    ok(b.expunge())
    b.logout()
    # Another program marks "four" answered by renaming its file.
    md = mailbox.Maildir(imap.maildir_path(ALICE), factory=None, create=False)
    for key, msg in md.items():
        if msg["Subject"] == "four":
            msg.add_flag("R")
            md[key] = msg
    # A crash, then a restart: what was recorded stays.
    imap.kill9()
    imap.start()
    deliver(imap, "five")
    imap.wait_for_mail(ALICE, 4)

    c = connect(imap)
    assert ok(c._simple_command("ENABLE", "QRESYNC"))
    tagged, lines = qresync_select(c, validity, known)
    assert tagged.startswith("OK "), (tagged, lines)
    text = "\n".join(lines)
    assert "* VANISHED (EARLIER) 2" in lines, text
    highest = int(re.search(r"\[HIGHESTMODSEQ (\d+)\]", text).group(1))
    assert highest > known
    fetched = {int(m.group(1)): (m.group(2), int(m.group(3)))
               for m in re.finditer(r"FETCH \(UID (\d+) FLAGS \(([^)]*)\) MODSEQ \((\d+)\)\)", text)}
    # Exactly the two changed messages; UID 3 is unchanged, "five" is new (EXISTS tells it).
    assert set(fetched) == {1, 4}, text
    assert "\\Flagged" in fetched[1][0] and "\\Answered" in fetched[4][0]
    assert all(known < m <= highest for _, m in fetched.values())
    assert "* 4 EXISTS" in lines, text

    # CONDSTORE in use: a conditional STORE against a stale modseq is refused.
    typ, data = c.uid("STORE", "3", f"(UNCHANGEDSINCE {known - 1}) +FLAGS (\\Seen)")
    assert typ == "OK", (typ, data)
    assert c.response("MODIFIED") == ("MODIFIED", [b"3"])
    typ, data = c.uid("STORE", "3", f"(UNCHANGEDSINCE {highest}) +FLAGS (\\Seen)")
    assert typ == "OK", (typ, data)
    assert c.response("MODIFIED") == ("MODIFIED", [None])
    data = [d for d in data if d]
    mods = [int(x) for x in re.findall(rb"MODSEQ \((\d+)\)", b" ".join(data))]
    assert mods and max(mods) > highest
    c.logout()


def test_changedsince_and_search_modseq_over_imaplib(imap):
    for subject in ("one", "two"):
        deliver(imap, subject)
    imap.wait_for_mail(ALICE, 2)
    c = connect(imap)
    ok(c.select("INBOX"))
    typ, data = c.uid("FETCH", "1:*", "(FLAGS) (CHANGEDSINCE 1)")
    assert typ == "OK"
    assert all(b"MODSEQ (" in d for d in data), data
    base = max(int(x) for x in re.findall(rb"MODSEQ \((\d+)\)", b" ".join(data)))
    ok(c.uid("STORE", "2", "+FLAGS", "(\\Seen)"))
    typ, data = c.uid("SEARCH", f"MODSEQ {base + 1}")
    assert typ == "OK" and re.match(rb"^2 \(MODSEQ \d+\)$", data[0]), data
    typ, data = c.status("INBOX", "(HIGHESTMODSEQ MESSAGES)")
    assert typ == "OK" and b"MESSAGES 2" in data[0]
    assert int(re.search(rb"HIGHESTMODSEQ (\d+)", data[0]).group(1)) > base
    c.logout()
