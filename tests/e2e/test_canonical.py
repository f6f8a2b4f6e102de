"""Cleanup-time address rewriting (issue 9 item 1): sender_canonical_maps,
recipient_canonical_maps, canonical_maps and masquerade_domains, applied
once as mail enters the queue, to the envelope (Return-Path, the delivery
target) and to the address headers, through SMTP, the daemon's submission
socket and sendmail writing the queue itself. Hostile header bytes (long
lines, encoded words, groups, comments) come through unchanged."""

import glob
import os
import smtplib
import subprocess

from conftest import TERN, wait_until

SENDER_CANON = "joe@local.test Joe.Public@example.com\n@oldhost.example @example.com\n"
RECIPIENT_CANON = "info@virt.test bob@virt.test\n"


def canon_tern(make_tern, **extra):
    t = make_tern(start=False)
    s = t.write_file("sender_canonical", SENDER_CANON)
    r = t.write_file("recipient_canonical", RECIPIENT_CANON)
    t.params.update({"sender_canonical_maps": f"texthash:{s}", "recipient_canonical_maps": f"texthash:{r}",
                     "masquerade_domains": "!keep.example.com, example.com", "masquerade_exceptions": "root",
                     **extra})
    t.write_config()
    t.start()
    return t


def send(t, sender, rcpts, headers):
    body = (headers + "Subject: canonical\r\n\r\nFrom: joe@local.test stays in the body\r\n").encode()
    with smtplib.SMTP("127.0.0.1", t.port) as s:
        return s.sendmail(sender, rcpts, body)


def raw_messages(t, address):
    return [open(p, "rb").read() for p in sorted(glob.glob(os.path.join(t.maildir_path(address), "new", "*")))]


def test_sender_canonical_in_return_path_and_from(make_tern):
    t = canon_tern(make_tern)
    send(t, "joe@local.test", ["alice@virt.test"], "From: Joe <joe@local.test>\r\nTo: alice@virt.test\r\n")
    m = t.wait_for_mail("alice@virt.test")[0]
    assert m["Return-Path"] == "<Joe.Public@example.com>"
    assert m["From"] == "Joe <Joe.Public@example.com>"
    assert m["To"] == "alice@virt.test"
    assert "From: joe@local.test stays in the body" in m.get_payload()
    # "@oldhost.example @example.com" keeps the local part.
    send(t, "ann@oldhost.example", ["alice@virt.test"], "From: ann@oldhost.example\r\n")
    m = t.wait_for_mail("alice@virt.test", 2)
    assert sorted(x["From"] for x in m) == ["Joe <Joe.Public@example.com>", "ann@example.com"]


def test_recipient_canonical_changes_the_delivery_target(make_tern):
    t = canon_tern(make_tern)
    # info@virt.test is no account: accepted because its rewrite is one.
    # Named twice over (info and bob), bob gets the message once.
    send(t, "s@example.org", ["info@virt.test", "bob@virt.test"], "To: Info <info@virt.test>, bob@virt.test\r\n")
    m = t.wait_for_mail("bob@virt.test")[0]
    assert m["To"] == "Info <bob@virt.test>, bob@virt.test"
    t.wait_queue_empty()
    assert len(t.maildir("bob@virt.test")) == 1
    assert t.maildir("alice@virt.test") == []
    assert "to=<info@virt.test>" not in t.log()
    # A recipient whose rewrite is no account is still refused at RCPT.
    try:
        send(t, "s@example.org", ["nobody@virt.test"], "")
        raise AssertionError("accepted an unknown recipient")
    except smtplib.SMTPRecipientsRefused as e:
        assert e.recipients["nobody@virt.test"][0] == 550


def test_masquerading_with_an_exception_user_and_domain(make_tern):
    t = canon_tern(make_tern)
    send(t, "carol@host.example.com", ["alice@virt.test"],
         "From: carol@host.example.com\r\nCc: x@mail.example.com, y@a.keep.example.com\r\n"
         "Reply-To: root@host.example.com\r\n")
    send(t, "root@host.example.com", ["bob@virt.test"], "From: root@host.example.com\r\n")
    a = t.wait_for_mail("alice@virt.test")[0]
    assert a["Return-Path"] == "<carol@example.com>"
    assert a["From"] == "carol@example.com"
    assert a["Cc"] == "x@example.com, y@a.keep.example.com"
    assert a["Reply-To"] == "root@host.example.com"
    b = t.wait_for_mail("bob@virt.test")[0]
    assert b["Return-Path"] == "<root@host.example.com>" and b["From"] == "root@host.example.com"


def test_hostile_header_bytes_come_through_unbroken(make_tern):
    t = canon_tern(make_tern)
    long_subject = "Subject: " + "x" * 5000 + "\r\n"
    many = ",\r\n ".join(f"u{i}@host.example.com" for i in range(300))
    headers = (
        "From: =?utf-8?q?J=C3=B6rg_=3Cjoe=40local=2Etest=3E?= <joe@local.test> (Joe, \"the\" (nested) one)\r\n"
        "To: undisclosed-recipients:;\r\n"
        f"Cc: {many}\r\n"
        "Bcc: team: <joe@local.test>, \"a, b\" <c@keep.example.com>;\r\n"
        "Sender: <@route.example:joe@local.test>\r\n"
        "Reply-To: joe@local.test (unclosed comment\r\n"
        "X-Long: " + "y" * 20000 + " joe@local.test\r\n"
        + long_subject)
    send(t, "s@example.org", ["alice@virt.test"], headers)
    t.wait_for_mail("alice@virt.test")
    raw = raw_messages(t, "alice@virt.test")[0]
    want = headers.replace("<joe@local.test> (Joe", "<Joe.Public@example.com> (Joe", 1)
    want = want.replace("team: <joe@local.test>", "team: <Joe.Public@example.com>", 1)
    want = want.replace("@host.example.com", "@example.com")
    # Bcc: is header_recipient: sender_canonical leaves it; masquerading
    # changes only host.example.com. Reply-To's unclosed comment hides the
    # address; the source-routed Sender: is left alone.
    want = want.replace("team: <Joe.Public@example.com>", "team: <joe@local.test>", 1)
    assert want != headers
    assert want.replace("\r\n", "\n").encode() in raw.replace(b"\r\n", b"\n"), raw[:3000]


def test_sendmail_paths_rewrite_too(make_tern):
    t = canon_tern(make_tern)
    msg = b"From: joe@local.test\nTo: info@virt.test\nSubject: local\n\nhi\n"
    link = os.path.join(t.base, "sendmail")
    os.symlink(TERN, link)
    r = subprocess.run([link, "-i", "-f", "joe@local.test", "info@virt.test"], input=msg, capture_output=True,
                       timeout=30, env={**os.environ, "TERN_CONFIG": t.config})
    assert r.returncode == 0, r.stderr
    m = t.wait_for_mail("bob@virt.test")[0]
    assert m["Return-Path"] == "<Joe.Public@example.com>" and m["From"] == "Joe.Public@example.com"
    assert m["To"] == "bob@virt.test"
    # With the daemon stopped, sendmail writes the queue itself: same rewriting.
    t.stop()
    ids = t.enqueue_offline(["info@virt.test"], body=msg, sender="carol@host.example.com")
    assert len(ids) == 1
    t.start()
    msgs = t.wait_for_mail("bob@virt.test", 2)
    offline = [x for x in msgs if x["Return-Path"] != "<Joe.Public@example.com>"][0]
    assert offline["Return-Path"] == "<carol@example.com>"
    assert offline["From"] == "Joe.Public@example.com"


def test_reload_takes_new_tables_and_a_bad_one_is_refused(make_tern):
    t = canon_tern(make_tern)
    t.write_file("sender_canonical", "joe@local.test Joseph@example.com\n")
    t.reload()
    wait_until(lambda: "reload -- configuration" in t.log(), what="the reload")
    send(t, "joe@local.test", ["alice@virt.test"], "From: joe@local.test\r\n")
    m = t.wait_for_mail("alice@virt.test")[0]
    assert m["Return-Path"] == "<Joseph@example.com>" and m["From"] == "Joseph@example.com"
    # A table that cannot be opened: the reload fails, the running tables stay.
    t.params["sender_canonical_maps"] = "texthash:" + os.path.join(t.base, "missing")
    t.write_config()
    t.reload()
    wait_until(lambda: "reload failed" in t.log(), what="the failed reload: " + t.log()[-1500:])
    assert "sender_canonical_maps" in [line for line in t.log().splitlines() if "reload failed" in line][0]
    send(t, "joe@local.test", ["alice@virt.test"], "From: joe@local.test\r\n")
    msgs = t.wait_for_mail("alice@virt.test", 2)
    assert [x["From"] for x in msgs] == ["Joseph@example.com"] * 2


def test_a_table_that_cannot_answer_defers_and_queues_nothing(make_tern):
    # lmdb: with no index file opens, then answers "try again" at each lookup.
    t = canon_tern(make_tern, sender_canonical_maps="lmdb:" + "/nonexistent/tern-canonical")
    try:
        send(t, "joe@local.test", ["alice@virt.test"], "From: joe@local.test\r\n")
        raise AssertionError("accepted with a table that cannot answer")
    except smtplib.SMTPDataError as e:
        assert e.smtp_code == 451 and b"4.3.0" in e.smtp_error
    assert "NOQUEUE: reject: DATA from unknown[127.0.0.1]: 451 4.3.0 sender_canonical_maps: lookup of" in t.log()
    assert t.queue_files() == []
    assert t.maildir("alice@virt.test") == []
    # The null sender is never looked up, so its mail still gets through.
    send(t, "", ["info@virt.test"], "To: info@virt.test\r\n")
    assert t.wait_for_mail("bob@virt.test")[0]["To"] == "bob@virt.test"
