"""IMAP (issue 10, RFC 3501/9051) against the real binary: mail delivered
over SMTP into a virtual account's Maildir is read, flagged, copied, moved,
appended and expunged with Python's imaplib (plain from loopback,
STARTTLS, IMAPS) and curl's imap://; new mail reaches a client in IDLE at
once (pushed by delivery, not found by the 30 s poll); Dovecot's IMAP on
the same Maildir sees the same UIDs and flags; POP3 and IMAP name a message
alike. Beyond the happy path: names that try to leave the Maildir, a
wrong password, a second session seeing the first one's changes."""

import base64
import imaplib
import os
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import time

import pytest

from conftest import fetchmail_argv, free_port, wait_until
from dovecot_peer import Dovecot, have_dovecot
from tls_pki import Pki

ALICE = "alice@virt.test"


def deliver(tern, subject, body="hello\n", rcpt=ALICE, extra_headers=""):
    msg = (f"From: Sender <sender@example.org>\r\nTo: {rcpt}\r\nSubject: {subject}\r\n{extra_headers}\r\n"
           + body.replace("\n", "\r\n"))
    with smtplib.SMTP("127.0.0.1", tern.port, timeout=30) as s:
        s.sendmail("sender@example.org", [rcpt], msg)


@pytest.fixture
def imap(make_tern):
    port, pop_port = free_port(), free_port()
    t = make_tern({"imap_listen": f"127.0.0.1:{port}", "pop3_listen": f"127.0.0.1:{pop_port}",
                   "smtpd_sasl_failure_sleep_time": "0"})
    t.imap_port = port
    t.pop_port = pop_port
    return t


def connect(tern, user=ALICE, password="secret"):
    c = imaplib.IMAP4("127.0.0.1", tern.imap_port, timeout=30)
    c.login(user, password)
    return c


def ok(result):
    typ, data = result
    assert typ == "OK", (typ, data)
    return data


def test_login_lists_special_use_folders_and_reads_delivered_mail(imap):
    deliver(imap, "first", extra_headers="Cc: Bob <bob@virt.test>\r\n")
    deliver(imap, "second")
    imap.wait_for_mail(ALICE, 2)
    c = connect(imap)
    listing = [l.decode() for l in ok(c.list())]
    for name, attr in [("Drafts", "\\Drafts"), ("Sent", "\\Sent"), ("Trash", "\\Trash"), ("Junk", "\\Junk"),
                       ("Archive", "\\Archive")]:
        assert any(attr in l and l.endswith(f" {name}") for l in listing), listing
    assert listing[0].endswith(" INBOX")
    subscribed = [l.decode() for l in ok(c.lsub())]
    assert len([l for l in subscribed if re.search(r" (Drafts|Sent|Trash|Junk|Archive)$", l)]) == 5
    assert ok(c.select("INBOX")) == [b"2"]
    data = ok(c.uid("FETCH", "1:*", "(UID FLAGS RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (SUBJECT)])"))
    text = b"".join(p if isinstance(p, bytes) else b"".join(p) for p in data)
    assert b"UID 1 " in text and b"UID 2 " in text
    assert b'"first"' in text and b'"Sender" NIL "sender" "example.org"' in text
    assert b'(("Bob" NIL "bob" "virt.test"))' in text  # Cc in the ENVELOPE, from the mime module
    assert b'("text" "plain" ("charset" "us-ascii") NIL NIL "7bit"' in text
    assert b"Subject: second" in text
    # RFC822.SIZE is the CRLF size, the same POP3 lists.
    sizes = [int(s) for s in re.findall(rb"RFC822\.SIZE (\d+)", text)]
    files = {}
    for sub in ("cur", "new"):
        d = os.path.join(imap.maildir_path(ALICE), sub)
        for n in os.listdir(d):
            files[n] = open(os.path.join(d, n), "rb").read()
    assert sorted(sizes) == sorted(len(re.sub(rb"(?<!\r)\n", b"\r\n", b)) for b in files.values())
    # BODY[] without PEEK sets \Seen, in the Maildir file name too.
    body = ok(c.fetch("1", "(BODY[])"))
    assert b"Subject: first" in body[0][1]
    assert b"\\Seen" in b"".join(x if isinstance(x, bytes) else x[0] for x in ok(c.fetch("1", "(FLAGS)")))
    cur = os.listdir(os.path.join(imap.maildir_path(ALICE), "cur"))
    assert len([n for n in cur if n.endswith(":2,S")]) == 1, cur
    c.logout()
    assert re.search(r"imap: \[127\.0\.0\.1\]: method=LOGIN, user=alice@virt\.test: logged in", imap.log())


def test_store_copy_move_append_expunge_and_second_session_sees_it(imap):
    for i in range(3):
        deliver(imap, f"m{i}")
    imap.wait_for_mail(ALICE, 3)
    a = connect(imap)
    b = connect(imap)
    ok(a.select("INBOX"))
    ok(b.select("INBOX"))
    ok(a.uid("STORE", "1", "+FLAGS", "(\\Flagged $Important)"))
    # Deliveries run in parallel, so UID 1 is not necessarily m0: note which it is.
    first = re.search(rb"Subject: m\d", ok(a.uid("FETCH", "1", "(BODY.PEEK[HEADER])"))[0][1]).group(0)
    typ, data = a.uid("COPY", "1", "Archive")
    assert typ == "OK", data
    code = a.response("COPYUID")[1][0]  # the tagged OK's response code
    assert re.fullmatch(rb"\d+ 1 1", code), code
    typ, data = a.uid("MOVE", "2", "Trash")
    assert typ == "OK", data
    typ, data = a.append("Sent", "(\\Seen)", imaplib.Time2Internaldate(time.time()),
                         b"From: alice@virt.test\r\nSubject: sent by me\r\n\r\nhi\r\n")
    assert typ == "OK" and b"APPENDUID" in data[0], data
    # The other session hears of the move and the flags at its next command.
    typ, data = b.noop()
    assert typ == "OK"
    assert ok(b.search(None, "ALL")) == [b"1 2"]
    flags = b"".join(x if isinstance(x, bytes) else x[0] for x in ok(b.uid("FETCH", "1", "(FLAGS)")))
    assert b"\\Flagged" in flags and b"$Important" in flags
    ok(b.select("Archive"))
    assert first in ok(b.fetch("1", "(BODY.PEEK[])"))[0][1]
    ok(b.select("Sent", readonly=True))
    assert ok(b.search(None, "SEEN")) == [b"1"]
    # Delete and expunge in INBOX.
    ok(a.store("1", "+FLAGS", "\\Deleted"))
    ok(a.expunge())
    assert ok(a.search(None, "ALL")) == [b"1"]
    assert ok(a.uid("SEARCH", None, "ALL")) == [b"3"]  # UIDs are not reused or renumbered
    # Dovecot's keywords file names the keyword, as Dovecot would.
    with open(os.path.join(imap.maildir_path(ALICE), ".Archive", "dovecot-keywords")) as f:
        assert "$Important" in f.read()
    a.logout()
    b.logout()


def _idle_until_pushed(tern, s):
    """On a connected (plain or TLS) socket: log in, select INBOX, IDLE,
    deliver over SMTP, and expect the new EXISTS within 5 s."""
    f = s.makefile("rb")

    def until_tagged(tag):
        while True:
            line = f.readline()
            assert line, "connection closed"
            if line.startswith(tag + b" "):
                assert line.startswith(tag + b" OK"), line
                return

    assert f.readline().startswith(b"* OK")
    s.sendall(b"a LOGIN alice@virt.test secret\r\n")
    until_tagged(b"a")
    s.sendall(b"b SELECT INBOX\r\n")
    until_tagged(b"b")
    s.sendall(b"c IDLE\r\n")
    assert f.readline().startswith(b"+ ")
    start = time.monotonic()
    deliver(tern, "during idle")
    line = f.readline()
    assert line == b"* 2 EXISTS\r\n", line
    assert time.monotonic() - start < 5
    s.sendall(b"DONE\r\n")
    until_tagged(b"c")
    s.sendall(b"d LOGOUT\r\n")
    s.close()


def test_idle_gets_new_mail_pushed_by_delivery(imap):
    """Pushed, not polled: IDLE's poll is every 30 s, the test allows 5."""
    deliver(imap, "before")
    imap.wait_for_mail(ALICE)
    _idle_until_pushed(imap, socket.create_connection(("127.0.0.1", imap.imap_port), timeout=10))


def test_waiting_sessions_hold_one_descriptor_each_and_all_get_the_push(make_tern):
    """Two hundred sessions with INBOX selected, half of them in IDLE, half
    just waiting for their next command, in a daemon whose descriptor limit
    (1100) leaves room for only four sessions to keep their folder open
    between commands: tern holds one descriptor for each of the rest (its
    socket), not the folder's four directories as well. Then one delivery
    wakes every IDLE session at once (each opens the folder again to look)
    and all of them are told, with nothing refused for want of descriptors."""
    import asyncio
    import resource
    port = free_port()
    # 200 sessions of one user from one address: no mail_max_userip_connections.
    imap = make_tern({"imap_listen": f"127.0.0.1:{port}", "mail_max_userip_connections": "0"}, start=False)
    imap.imap_port = port
    imap.start(preexec=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (1100, 1100)))
    deliver(imap, "before")
    imap.wait_for_mail(ALICE)
    n = 200
    pid = imap.proc.pid

    def fds():
        return len(os.listdir(f"/proc/{pid}/fd"))

    async def main():
        baseline = fds()
        conns = []
        for i in range(n):
            reader, writer = await asyncio.open_connection("127.0.0.1", imap.imap_port)
            await reader.readline()
            idle = i % 2 == 0
            writer.write(b"a LOGIN alice@virt.test secret\r\nb SELECT INBOX\r\n" + (b"c IDLE\r\n" if idle else b""))
            while True:
                line = await reader.readline()
                assert line, "closed"
                if line.startswith(b"a ") or line.startswith(b"b "):
                    assert b" OK" in line[:5], line
                if (idle and line.startswith(b"+ ")) or (not idle and line.startswith(b"b OK")):
                    break
            conns.append((reader, writer, idle))
        held = fds() - baseline
        # One per session, give or take the few a delivery or an SMTP session
        # closing meanwhile holds, and the four folders that keep theirs
        # (holding the folders too would be 5 per session).
        assert n - 10 <= held < n + 20 + 4 * 4, held
        deliver(imap, "to all of you")

        async def told(reader):
            while True:
                line = await asyncio.wait_for(reader.readline(), 20)
                assert line, "closed"
                if line == b"* 2 EXISTS\r\n":
                    return
        await asyncio.gather(*(told(r) for r, _, idle in conns if idle))
        for _, w, _ in conns:
            w.close()

    asyncio.run(main())
    assert "Too many open files" not in imap.log()


def test_idle_push_over_imaps(make_tern, workdir):
    """The push interrupts a pending read of an OpenSSL stream as it does a
    plain one, and the session goes on over TLS."""
    pki = Pki(workdir)
    cert, key = pki.issue("server")
    port = free_port()
    t = make_tern({"smtpd_tls_cert_file": cert, "smtpd_tls_key_file": key, "imaps_listen": f"127.0.0.1:{port}"})
    deliver(t, "before")
    t.wait_for_mail(ALICE)
    ctx = ssl.create_default_context(cafile=pki.ca)
    ctx.check_hostname = False
    _idle_until_pushed(t, ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10)))


def test_names_that_try_to_escape_and_bad_logins(imap):
    c = imaplib.IMAP4("127.0.0.1", imap.imap_port, timeout=30)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        c.login(ALICE, "wrong")
    c.login(ALICE, "secret")
    for name in ["../bob", "a/b", ".hidden", "..", "INBOX/../../x", '"x\x7fy"']:
        try:
            typ, data = c.create(name)
        except imaplib.IMAP4.error as e:  # BAD: not even a mailbox name
            typ, data = "BAD", str(e)
        assert typ in ("NO", "BAD"), (name, data)
    typ, _ = c.select("../../bob@virt.test")
    assert typ == "NO"
    assert not os.path.exists(os.path.join(imap.vmail, "virt.test", "bob"))  # nothing made outside alice
    for entry in os.listdir(imap.maildir_path(ALICE)):
        assert not entry.startswith("..") or entry.startswith("..tern")
    c.logout()


def test_starttls_imaps_and_curl(make_tern, workdir):
    pki = Pki(workdir)
    cert, key = pki.issue("server")
    plain, implicit = free_port(), free_port()
    t = make_tern({"smtpd_tls_cert_file": cert, "smtpd_tls_key_file": key, "imap_listen": f"127.0.0.1:{plain}",
                   "imaps_listen": f"127.0.0.1:{implicit}"})
    deliver(t, "over tls")
    t.wait_for_mail(ALICE)
    ctx = ssl.create_default_context(cafile=pki.ca)
    ctx.check_hostname = False
    c = imaplib.IMAP4("127.0.0.1", plain, timeout=30)
    assert "STARTTLS" in c.capabilities
    ok(c.starttls(ssl_context=ctx))
    c.login(ALICE, "secret")
    ok(c.select("INBOX"))
    c.logout()
    s = imaplib.IMAP4_SSL("127.0.0.1", implicit, ssl_context=ctx, timeout=30)
    s.login(ALICE, "secret")
    assert ok(s.select("INBOX")) == [b"1"]
    s.logout()
    out = subprocess.run(["curl", "-sS", "--cacert", pki.ca, "--resolve", f"mx.test.example:{implicit}:127.0.0.1",
                          "--user", f"{ALICE}:secret", f"imaps://mx.test.example:{implicit}/INBOX;UID=1"],
                         capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert b"Subject: over tls" in out.stdout


def test_curl_lists_folders_and_fetches(imap):
    deliver(imap, "for curl")
    imap.wait_for_mail(ALICE)
    base = f"imap://127.0.0.1:{imap.imap_port}/"
    listing = subprocess.run(["curl", "-sS", "--user", f"{ALICE}:secret", base], capture_output=True, timeout=60)
    assert listing.returncode == 0, listing.stderr
    assert b"INBOX" in listing.stdout and b"Sent" in listing.stdout
    msg = subprocess.run(["curl", "-sS", "--user", f"{ALICE}:secret", base + "INBOX;UID=1"], capture_output=True,
                         timeout=60)
    assert msg.returncode == 0 and b"Subject: for curl" in msg.stdout


def test_pop3_and_imap_name_messages_alike(imap):
    import poplib
    deliver(imap, "both")
    deliver(imap, "protocols")
    imap.wait_for_mail(ALICE, 2)
    c = connect(imap)
    ok(c.select("INBOX"))
    uids = ok(c.uid("SEARCH", None, "ALL"))[0].split()
    validity = int(re.search(rb"UIDVALIDITY (\d+)", ok(c.status("INBOX", "(UIDVALIDITY)"))[0]).group(1))
    c.logout()
    p = poplib.POP3("127.0.0.1", imap.pop_port, timeout=30)
    p.user(ALICE)
    p.pass_("secret")
    uidls = [l.split()[1].decode() for l in p.uidl()[1]]
    p.quit()
    assert uidls == [f"{int(u):08x}{validity:08x}" for u in uids]


@pytest.mark.skipif(not have_dovecot(), reason="Dovecot (dovecot-pop3d, dovecot-imapd) not installed")
def test_dovecot_imap_reads_what_tern_wrote(imap, workdir):
    deliver(imap, "d0")
    imap.wait_for_mail(ALICE, 1)
    c = connect(imap)
    ok(c.select("INBOX"))  # the index is made: "3 V... N2 ..."
    for i in (1, 2):
        deliver(imap, f"d{i}")
    imap.wait_for_mail(ALICE, 3)
    ok(c.noop())  # records 2 and 3 are appended in place; the header's next UID lags, as Dovecot's own does
    index = open(os.path.join(imap.maildir_path(ALICE), "dovecot-uidlist"), "rb").read()
    assert b" N2 " in index.split(b"\n", 1)[0] and b"\n3 :" in index, index
    ok(c.uid("STORE", "2", "+FLAGS", "(\\Answered $Label1)"))
    # Deliveries run in parallel, so UID 3 is not necessarily d2: note which it is.
    moved = re.search(rb"Subject: d\d", ok(c.uid("FETCH", "3", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"))[0][1]).group(0)
    ok(c.uid("MOVE", "3", "Archive"))
    validity = re.search(rb"UIDVALIDITY (\d+)", ok(c.status("INBOX", "(UIDVALIDITY)"))[0]).group(1)
    c.logout()
    dc = Dovecot(workdir, imap.vmail)
    imap.stop()  # hand the Maildir over whole
    dc.hand_over()
    dc.start()
    try:
        d = imaplib.IMAP4("127.0.0.1", dc.imap_port, timeout=30)
        d.login(ALICE, "anything")
        status = ok(d.status("INBOX", "(UIDVALIDITY MESSAGES UIDNEXT)"))[0]
        ok(d.select("INBOX"))
        flags = ok(d.uid("FETCH", "1:*", "(UID FLAGS)"))
        ok(d.select("Archive"))
        archived = ok(d.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"))
        d.logout()
    except (imaplib.IMAP4.error, OSError) as e:
        raise AssertionError(f"{e}: {dc.log()}")
    finally:
        dc.stop()
    assert b"UIDVALIDITY " + validity in status and b"MESSAGES 2" in status and b"UIDNEXT 4" in status, status
    joined = b" ".join(x if isinstance(x, bytes) else x[0] for x in flags)
    assert b"UID 1 FLAGS ()" in joined and re.search(rb"UID 2 FLAGS \((\\Answered \$Label1|\$Label1 \\Answered)\)",
                                                     joined), joined
    assert moved in archived[0][1], (moved, archived)


def test_namespace_list_extended_and_binary(imap):
    """NAMESPACE, LIST-EXTENDED with LIST-STATUS and the SPECIAL-USE
    selection as a webmail sends them, and BINARY: an attachment of every
    byte value comes back decoded, exactly, as a literal8 (it holds NULs)."""
    blob = bytes(range(256)) * 4
    b64 = base64.encodebytes(blob).decode()
    body = ("--sep\nContent-Type: text/plain\n\nsee attached\n--sep\n"
            "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
            + b64 + "--sep\nContent-Type: text/plain\nContent-Transfer-Encoding: x-uuencode\n\nbegin\n--sep--\n")
    deliver(imap, "blob", body=body,
            extra_headers="MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=sep\r\n")
    imap.wait_for_mail(ALICE, 1)
    c = connect(imap)
    caps = c.capabilities
    for cap in ("NAMESPACE", "LIST-EXTENDED", "LIST-STATUS", "SPECIAL-USE", "ESEARCH", "BINARY", "STATUS=SIZE"):
        assert cap in caps, caps
    assert [int(x.split("=")[1]) for x in caps if x.startswith("APPENDLIMIT=")] == [1048576]  # message_size_limit
    assert ok(c.namespace()) == [b'(("" ".")) NIL NIL']
    ok(c.create("Lists.tern"))
    ok(c.subscribe("Lists.tern"))
    ok(c.subscribe("INBOX"))
    # imaplib joins LIST's arguments with spaces: the extended form goes through as written.
    listed = ok(c.list('""', '* RETURN (SUBSCRIBED STATUS (MESSAGES UNSEEN SIZE))'))
    assert b'(\\HasNoChildren \\Subscribed) "." INBOX' in listed, listed
    assert b'(\\HasNoChildren \\Subscribed) "." Lists.tern' in listed, listed
    statuses = c.response("STATUS")[1]  # LIST-STATUS: one STATUS after each selectable folder listed
    assert any(st.startswith(b"INBOX (MESSAGES 1 UNSEEN 1 SIZE ") for st in statuses), statuses
    assert b"Lists.tern (MESSAGES 0 UNSEEN 0 SIZE 0)" in statuses, statuses
    assert len(statuses) == 7, statuses  # INBOX, the five special folders, Lists.tern; not the parent "Lists"
    special = ok(c.list("(SPECIAL-USE)", '""' + " *"))
    assert sorted(l.split()[-1] for l in special) == [b"Archive", b"Drafts", b"Junk", b"Sent", b"Trash"], special
    with pytest.raises(imaplib.IMAP4.error, match="BAD.*Unknown LIST selection option"):
        c.list("(BOGUS)", '"" *')
    ok(c.select("INBOX"))
    got = ok(c.uid("FETCH", "1", "(BINARY.PEEK[2] BINARY.SIZE[2])"))
    assert got[0][1] == blob
    assert re.search(rb"BINARY.SIZE\[2\] %d" % len(blob), got[1] if isinstance(got[1], bytes) else got[1][0]), got
    typ, data = c.uid("FETCH", "1", "(BINARY.PEEK[3])")
    assert typ == "NO" and b"[UNKNOWN-CTE]" in data[0], (typ, data)
    # The client's raw view of the literal8 marker (imaplib reads "~{n}" as a literal too).
    raw = socket.create_connection(("127.0.0.1", imap.imap_port), timeout=30)
    appended = b"From: a@b\r\nSubject: nul\r\n\r\nx\x00y\r\n"  # RFC 3516: APPEND takes a literal8 too
    raw.sendall(b'a LOGIN alice@virt.test secret\r\nb SELECT INBOX\r\nc FETCH 1 BINARY.PEEK[2]\r\n'
                b'e APPEND Lists.tern ~{%d+}\r\n%s\r\nf STATUS Lists.tern (MESSAGES)\r\nd LOGOUT\r\n'
                % (len(appended), appended))
    seen = b""
    while b"d OK" not in seen:
        chunk = raw.recv(65536)
        assert chunk, seen
        seen += chunk
    raw.close()
    assert b"* 1 FETCH (BINARY[2] ~{%d}\r\n" % len(blob) in seen
    assert b"e OK [APPENDUID " in seen and b"* STATUS Lists.tern (MESSAGES 1)" in seen, seen[-400:]
    c.logout()


def test_sort_as_a_webmail_asks(imap):
    """SORT (RFC 5256) through imaplib: base subjects ("Re:", "[list]",
    "(fwd)" and RFC 2047 words undone), REVERSE DATE, and UID SORT with a
    search, as Roundcube sends them."""
    for subject, date in (("Re: [tern] zebra", "Mon, 1 Jan 2029 10:00:00 +0000"),
                          ("=?UTF-8?B?QXBwbGU=?= (fwd)", "Tue, 2 Jan 2029 10:00:00 +0000"),
                          ("mango", "Sun, 31 Dec 2028 10:00:00 +0000")):
        deliver(imap, subject, extra_headers=f"Date: {date}\r\n")
    imap.wait_for_mail(ALICE, 3)
    c = connect(imap)
    assert "SORT" in c.capabilities and "SORT=DISPLAY" in c.capabilities and "ESORT" in c.capabilities
    ok(c.select("INBOX"))
    subject_of = {}
    for line in ok(c.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")):
        if isinstance(line, tuple):
            subject_of[int(line[0].split()[0])] = line[1].decode().split(":", 1)[1].strip()
    by_subject = [int(n) for n in ok(c.sort("(SUBJECT)", "UTF-8", "ALL"))[0].split()]
    assert [subject_of[n] for n in by_subject] == ["=?UTF-8?B?QXBwbGU=?= (fwd)", "mango", "Re: [tern] zebra"]
    newest_first = [int(n) for n in ok(c.sort("(REVERSE DATE)", "UTF-8", "ALL"))[0].split()]
    assert [subject_of[n] for n in newest_first] == ["=?UTF-8?B?QXBwbGU=?= (fwd)", "Re: [tern] zebra", "mango"]
    typ, data = c.uid("SORT", "(SUBJECT)", "UTF-8", "NOT", "SUBJECT", "mango")
    assert typ == "OK" and len(data[0].split()) == 2, data
    typ, data = c.sort("(SUBJECT)", "KOI8-R", "ALL")
    assert typ == "NO" and b"[BADCHARSET" in data[0], (typ, data)
    c.logout()


def test_thread_references_through_imaplib(imap):
    """THREAD=REFERENCES (RFC 5256) as a mail client asks it: a reply chain
    by In-Reply-To and References, delivered out of order, comes back as one
    thread in date order beside an unrelated message."""
    mails = [("<root@t>", "", "plan", "Mon, 1 Jan 2029 10:00:00 +0000"),
             ("<r2@t>", "References: <root@t> <r1@t>\r\n", "Re: plan", "Mon, 1 Jan 2029 12:00:00 +0000"),
             ("<solo@t>", "", "lunch", "Mon, 1 Jan 2029 09:00:00 +0000"),
             ("<r1@t>", "In-Reply-To: <root@t>\r\n", "Re: plan", "Mon, 1 Jan 2029 11:00:00 +0000")]
    for mid, refs, subject, date in mails:
        deliver(imap, subject, extra_headers=f"Message-ID: {mid}\r\n{refs}Date: {date}\r\n")
    imap.wait_for_mail(ALICE, len(mails))
    c = connect(imap)
    assert "THREAD=REFERENCES" in c.capabilities and "THREAD=ORDEREDSUBJECT" in c.capabilities
    ok(c.select("INBOX"))
    uid = {}  # Message-ID -> UID, whatever order the deliveries landed in
    for x in ok(c.uid("FETCH", "1:*", "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")):
        if isinstance(x, tuple):
            uid[re.search(rb"<[^>]+>", x[1]).group(0).decode()] = int(re.search(rb"UID (\d+)", x[0]).group(1))
    typ, data = c.uid("THREAD", "REFERENCES", "UTF-8", "ALL")
    assert typ == "OK" and data == [b"(%d)(%d %d %d)" % (uid["<solo@t>"], uid["<root@t>"], uid["<r1@t>"], uid["<r2@t>"])], \
        (data, uid)
    typ, data = c.uid("THREAD", "ORDEREDSUBJECT", "UTF-8", "ALL")
    assert data == [b"(%d)(%d (%d)(%d))" % (uid["<solo@t>"], uid["<root@t>"], uid["<r1@t>"], uid["<r2@t>"])], data
    typ, data = c.thread("REFERENCES", "UTF-8", "ALL")  # sequence numbers, through imaplib's own call
    assert typ == "OK" and data[0].count(b"(") == 2, data
    c.logout()


def _read_until(sock, marker, seen=b""):
    while marker not in seen:
        chunk = sock.recv(65536)
        assert chunk, seen[-300:]
        seen += chunk
    return seen


def _unnamed_files_in(pid, folder):
    """The /proc descriptor paths of unnamed (O_TMPFILE) files of folder
    that the daemon at pid or its children hold."""
    pids, out = [pid], []
    while pids:
        p = pids.pop()
        try:  # a thread or a process may end while it is looked at
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    pids += [int(c) for c in f.read().split()]
            for fd in os.listdir(f"/proc/{p}/fd"):
                if os.readlink(f"/proc/{p}/fd/{fd}").startswith(folder + "/#"):
                    out.append(f"/proc/{p}/fd/{fd}")
        except FileNotFoundError:
            pass
    return out


def test_append_streams_to_disk_and_every_ok_survives_kill9(imap):
    """RELIABILITY.md #40 and issue 10's "a large literal streamed to disk":
    an APPEND's literal is on disk while it is still arriving (an unnamed
    file of the folder's cur/, seen through the daemon's descriptors), and
    gone when the client vanishes mid-literal; every APPEND that got OK
    (single and MULTIAPPEND) is there after kill -9, with the same
    UIDVALIDITY, and the next UID is new."""
    c = connect(imap)  # makes the account's Maildir
    validity = re.search(rb"UIDVALIDITY (\d+)", ok(c.status("INBOX", "(UIDVALIDITY)"))[0]).group(1)
    c.logout()
    tmp = os.path.join(imap.maildir_path(ALICE), "tmp")
    cur = os.path.join(imap.maildir_path(ALICE), "cur")
    big = b"Subject: big\r\n\r\n" + b"x" * 78 + b"\r\n"
    big = big + (b"y" * 78 + b"\r\n") * (800_000 // 80)
    raw = socket.create_connection(("127.0.0.1", imap.imap_port), timeout=30)
    _read_until(raw, b"* OK")
    raw.sendall(b"a LOGIN alice@virt.test secret\r\n")
    _read_until(raw, b"a OK")
    raw.sendall(b"b APPEND INBOX {%d+}\r\n" % len(big) + big[: len(big) // 2])

    def draft_bytes():
        try:
            return sum(os.stat(fd).st_size for fd in _unnamed_files_in(imap.proc.pid, cur))
        except FileNotFoundError:  # closed in between: look again
            return 0
    # Stored with LF line ends: a little under half of what was sent.
    wait_until(lambda: draft_bytes() >= len(big) // 2 * 78 // 80, what="half the literal on disk")
    raw.close()  # the client vanishes mid-literal
    wait_until(lambda: _unnamed_files_in(imap.proc.pid, cur) == [], what="the abandoned draft closed")
    # Nothing of it in cur/ or tmp/ (the daemon's lock holder, tern-lock.*,
    # stays in tmp/: docs/behaviour.md).
    assert os.listdir(cur) == []
    assert [n for n in os.listdir(tmp) if not n.startswith("tern-lock.")] == []

    uids = []
    c = connect(imap)
    for i in range(2):
        typ, data = c.append("INBOX", "(\\Flagged)", None, b"Subject: single %d\r\n\r\nbody\r\n" % i)
        assert typ == "OK", data
        uids.append(int(re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1)))
    c.logout()
    m1, m2 = b"Subject: multi 1\r\n\r\none\r\n", b"Subject: multi 2\r\n\r\ntwo\r\n"
    raw = socket.create_connection(("127.0.0.1", imap.imap_port), timeout=30)
    _read_until(raw, b"* OK")
    raw.sendall(b"a LOGIN alice@virt.test secret\r\nb APPEND INBOX {%d+}\r\n%s (\\Seen) {%d+}\r\n%s\r\n"
                % (len(m1), m1, len(m2), m2))
    seen = _read_until(raw, b"b OK")
    first, last = map(int, re.search(rb"b OK \[APPENDUID \d+ (\d+):(\d+)\]", seen).groups())
    uids += list(range(first, last + 1))
    raw.close()
    assert len(uids) == 4 and uids == sorted(set(uids)), uids

    imap.kill9()
    imap.start()
    c = connect(imap)
    status = ok(c.status("INBOX", "(UIDVALIDITY MESSAGES UIDNEXT)"))[0]
    assert b"UIDVALIDITY " + validity in status and b"MESSAGES 4" in status, status
    ok(c.select("INBOX"))
    got = ok(c.uid("FETCH", "1:*", "(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])"))
    subjects = {int(re.search(rb"UID (\d+)", x[0]).group(1)): x[1].strip() for x in got if isinstance(x, tuple)}
    assert subjects == dict(zip(uids, [b"Subject: single 0", b"Subject: single 1", b"Subject: multi 1",
                                       b"Subject: multi 2"])), subjects
    typ, data = c.append("INBOX", None, None, b"Subject: after\r\n\r\nx\r\n")
    assert int(re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1)) == max(uids) + 1
    c.logout()


def _mbsync(workdir, port, local, extra=""):
    rc = os.path.join(workdir, "mbsyncrc")
    with open(rc, "w") as f:
        f.write(f"""IMAPAccount tern
Host 127.0.0.1
Port {port}
User {ALICE}
Pass secret
SSLType None
AuthMechs LOGIN

IMAPStore remote
Account tern

MaildirStore local
Path {local}/
Inbox {local}/INBOX
SubFolders Verbatim

Channel all
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
{extra}
""")
    r = subprocess.run(["mbsync", "-c", rc, "-V", "all"], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "HOME": workdir})
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout + r.stderr


@pytest.mark.skipif(shutil.which("mbsync") is None, reason="mbsync (isync) not installed")
def test_mbsync_syncs_both_ways_then_finds_nothing_to_do(imap, workdir):
    """mbsync is strict (UIDPLUS, UIDVALIDITY, UIDNEXT): a first sync pulls
    the folders, a message made locally is pushed up, a flag set on the
    server comes down, and a second run with no change moves nothing; it
    does all of it over COMPRESS=DEFLATE."""
    for i in range(2):
        deliver(imap, f"sync {i}")
    imap.wait_for_mail(ALICE, 2)
    local = os.path.join(workdir, "local")
    os.makedirs(local)
    _mbsync(workdir, imap.imap_port, local)
    pulled = os.listdir(os.path.join(local, "INBOX", "new")) + os.listdir(os.path.join(local, "INBOX", "cur"))
    assert len(pulled) == 2
    assert os.path.isdir(os.path.join(local, "Sent", "cur"))
    # A message written locally (as a mail client saves to Sent) goes up.
    with open(os.path.join(local, "Sent", "cur", "1700000000.local:2,S"), "wb") as f:
        f.write(b"From: alice@virt.test\nSubject: from mbsync\n\nup\n")
    c = connect(imap)
    ok(c.select("INBOX"))
    ok(c.uid("STORE", "1", "+FLAGS", "(\\Flagged)"))
    c.logout()
    _mbsync(workdir, imap.imap_port, local)
    c = connect(imap)
    ok(c.select("Sent", readonly=True))
    assert b"Subject: from mbsync" in ok(c.fetch("1", "(BODY.PEEK[])"))[0][1]
    c.logout()
    flagged = [n for n in os.listdir(os.path.join(local, "INBOX", "cur")) if ":2," in n and "F" in n.split(":2,")[1]]
    assert len(flagged) == 1
    # Nothing changed on either side: a third run moves nothing.
    def state():
        local_files = sorted(os.path.relpath(os.path.join(d, n), local) for d, _, names in os.walk(local)
                             for n in names if "/cur" in d or "/new" in d)
        c = connect(imap)
        server = {box: ok(c.status(box, "(MESSAGES UIDNEXT)"))[0] for box in ("INBOX", "Sent", "Archive")}
        c.logout()
        return local_files, server
    before = state()
    _mbsync(workdir, imap.imap_port, local)
    assert state() == before
    # mbsync (isync 1.4) turns on COMPRESS=DEFLATE when offered: all of the
    # above ran compressed.
    assert imap.log().count("COMPRESS DEFLATE on") == 3, imap.log()  # one connection per run


@pytest.mark.skipif(shutil.which("fetchmail") is None, reason="fetchmail not installed")
def test_fetchmail_over_imap_keeps_then_fetches_only_new_then_deletes(imap, workdir):
    """fetchmail over IMAP into an MDA command: with `keep` it fetches the
    unseen messages and leaves them, marked \\Seen; a second run fetches
    only the one delivered since; with `fetchall` and no `keep` it fetches
    everything, deletes it and expunges, leaving INBOX empty."""
    for i in range(3):
        deliver(imap, f"imap fetch {i}")
    imap.wait_for_mail(ALICE, 3)
    out_dir = os.path.join(workdir, "fetched")
    os.makedirs(out_dir)
    env = {**os.environ, "HOME": workdir, "FETCHMAILHOME": workdir}
    mda = f"sh -c 'cat > {out_dir}/$$'"

    def run(options):
        rc = os.path.join(workdir, "fetchmailrc")
        with open(rc, "w") as f:
            f.write(f'poll 127.0.0.1 service {imap.imap_port} protocol imap auth password\n'
                    f'  user "{ALICE}" password "secret" is "{os.environ.get("USER", "root")}" here\n'
                    f'  sslproto "" mda "{mda}" {options}\n')
        os.chmod(rc, 0o600)
        r = subprocess.run(fetchmail_argv(rc, workdir) + ["--nodetach", "--nosyslog", "-v"], capture_output=True,
                           text=True, timeout=120, env=env)
        fetched = sorted(open(os.path.join(out_dir, n), "rb").read() for n in os.listdir(out_dir))
        for n in os.listdir(out_dir):
            os.unlink(os.path.join(out_dir, n))
        return r, fetched

    r, got = run("keep")
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(got) == 3 and all(b"Subject: imap fetch" in g for g in got)
    c = connect(imap)
    ok(c.select("INBOX", readonly=True))
    assert ok(c.search(None, "SEEN"))[0].split() == [b"1", b"2", b"3"]
    c.logout()
    deliver(imap, "imap fetch new")
    imap.wait_for_mail(ALICE, 4)
    r, got = run("keep")
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(got) == 1 and b"Subject: imap fetch new" in got[0], got
    r, got = run("fetchall")
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(got) == 4
    c = connect(imap)
    assert ok(c.select("INBOX"))[0] == b"0"
    c.logout()
    r, got = run("")  # nothing left: fetchmail's exit code 1, "no mail"
    assert r.returncode == 1 and got == [], r.stdout + r.stderr


def test_quota_from_the_passwd_file_bounces_at_delivery_and_refuses_append(imap):
    """A Dovecot passwd-file line's userdb_quota_rule: deliveries past it
    bounce with 5.2.2 (the sender gets one DSN), IMAP's GETQUOTAROOT shows
    the usage from maildirsize, APPEND past it is NO [OVERQUOTA]; after an
    EXPUNGE there is room again."""
    users = imap.config.replace("main.cf", "users")
    with open(users) as f:
        lines = f.read().splitlines()
    lines = [l + "::::::userdb_quota_rule=*:messages=2" if l.startswith(ALICE + ":") else l for l in lines]
    with open(users, "w") as f:
        f.write("\n".join(lines) + "\n")
    imap.reload()
    wait_until(lambda: "reload -- configuration and tables reloaded" in imap.log(), what="the reload")
    for i in range(3):
        with smtplib.SMTP("127.0.0.1", imap.port, timeout=30) as s:
            s.sendmail("bob@virt.test", [ALICE], f"From: bob@virt.test\r\nSubject: quota {i}\r\n\r\nbody\r\n")
        if i < 2:
            imap.wait_for_mail(ALICE, i + 1)
    wait_until(lambda: "dsn=5.2.2" in imap.log(), what="the bounce")
    assert "mailbox full: quota exceeded" in imap.log()
    imap.wait_for_mail("bob@virt.test", 1)
    imap.wait_queue_empty()
    c = connect(imap)
    typ, data = c.getquotaroot("INBOX")
    assert typ == "OK" and data == [[b'"INBOX" "User quota"'], [b'"User quota" (MESSAGE 2 2)']], data
    typ, data = c.append("INBOX", None, None, b"Subject: one too many\r\n\r\nx\r\n")
    assert typ == "NO" and b"[OVERQUOTA]" in data[0], data
    ok(c.select("INBOX"))
    ok(c.store("1", "+FLAGS", "(\\Deleted)"))
    ok(c.expunge())
    assert c.getquota('"User quota"')[1] == [b'"User quota" (MESSAGE 1 2)']
    ok(c.append("INBOX", None, None, b"Subject: room again\r\n\r\nx\r\n"))
    c.logout()
    assert len(imap.maildir(ALICE)) == 2


@pytest.mark.skipif(not have_dovecot(), reason="Dovecot (dovecot-pop3d, dovecot-imapd) not installed")
def test_dovecot_quota_reads_and_extends_the_maildirsize_tern_keeps(make_tern, workdir):
    """The same rule on both sides (*:messages=5): Dovecot's quota=maildir
    backend reports the usage tern's deliveries wrote into maildirsize, its
    own APPEND adds a line there, and tern then counts that message too."""
    port = free_port()
    t = make_tern({"imap_listen": f"127.0.0.1:{port}", "quota_rule": "*:messages=5"})
    t.imap_port = port
    for i in range(2):
        deliver(t, f"q{i}")
    t.wait_for_mail(ALICE, 2)
    t.wait_queue_empty()
    c = connect(t)
    assert c.getquotaroot("INBOX")[1][1] == [b'"User quota" (MESSAGE 2 5)']
    c.logout()
    t.stop()
    dc = Dovecot(workdir, t.vmail, extra_conf="mail_plugins = quota\nprotocol imap {\n"
                 "  mail_plugins = $mail_plugins imap_quota\n}\nplugin {\n  quota = maildir:User quota\n"
                 "  quota_rule = *:messages=5\n}\n")
    dc.hand_over()
    dc.start()
    try:
        d = imaplib.IMAP4("127.0.0.1", dc.imap_port, timeout=30)
        d.login(ALICE, "anything")
        theirs = d.getquotaroot("INBOX")[1][1]
        ok(d.append("INBOX", None, None, b"Subject: from dovecot\r\n\r\nx\r\n"))
        d.logout()
    except (imaplib.IMAP4.error, OSError) as e:
        raise AssertionError(f"{e}: {dc.log()}")
    finally:
        dc.stop()
    assert theirs == [b'"User quota" (MESSAGE 2 5)'], (theirs, dc.log())
    with open(os.path.join(t.maildir_path(ALICE), "maildirsize")) as f:
        lines = f.read().splitlines()
    assert lines[0] in ("5C", "0S,5C"), lines
    t.start()
    c = connect(t)
    assert c.getquotaroot("INBOX")[1][1] == [b'"User quota" (MESSAGE 3 5)'], lines
    c.logout()


def test_sessions_per_user_and_address_are_limited(make_tern):
    """mail_max_userip_connections (Dovecot's): the third login of alice
    from 127.0.0.1 is refused with NO [LIMIT] while two are logged in, bob
    is not affected, the refused session may log in once one ends, and a
    failed login or an ended session leaves no count behind."""
    port = free_port()
    t = make_tern({"imap_listen": f"127.0.0.1:{port}", "mail_max_userip_connections": "2"})
    first, second = (imaplib.IMAP4("127.0.0.1", port, timeout=30) for _ in range(2))
    first.login(ALICE, "secret")
    second.login(ALICE, "secret")
    third = imaplib.IMAP4("127.0.0.1", port, timeout=30)
    with pytest.raises(imaplib.IMAP4.error, match=r"\[LIMIT\].*mail_max_userip_connections=2"):
        third.login(ALICE, "secret")
    bob = imaplib.IMAP4("127.0.0.1", port, timeout=30)
    bob.login("bob@virt.test", "secret")
    first.logout()

    def third_logs_in():
        try:
            return third.login(ALICE, "secret")[0] == "OK"
        except imaplib.IMAP4.error:
            return False  # the first session's end not counted yet
    wait_until(third_logs_in, what="a login after one session ended")
    for c in (second, third, bob):
        c.logout()
    for _ in range(3):  # ended sessions were all released
        c = imaplib.IMAP4("127.0.0.1", port, timeout=30)
        c.login(ALICE, "secret")
        c.noop()
        c.logout()
