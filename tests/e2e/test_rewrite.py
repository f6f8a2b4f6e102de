"""Address rewriting: aliases of each kind, virtual aliases with the
@domain catch-all, +tag extensions, myorigin qualification, and loops."""

import os
import smtplib

from conftest import ME, PRIVS, RawSMTP, wait_until


def send(tern, rcpts, body=b"Subject: t\r\n\r\nhello\r\n", sender="s@example.org"):
    with smtplib.SMTP("127.0.0.1", tern.port) as s:
        return s.sendmail(sender, rcpts, body)


def test_alias_to_virtual_user(make_tern):
    t = make_tern(start=False)
    t.write_file("aliases", "sales: alice@virt.test, bob@virt.test\npostmaster: alice@virt.test\n")
    t.start()
    send(t, ["sales@local.test"])
    assert t.wait_for_mail("alice@virt.test")[0]["Delivered-To"] == "alice@virt.test"
    assert t.wait_for_mail("bob@virt.test")


def test_alias_to_command_and_file(make_tern, workdir):
    t = make_tern(start=False)
    out = os.path.join(workdir, "pipe-out")
    filebox = os.path.join(workdir, "filebox")
    script = t.write_file("dump.sh", f"#!/bin/sh\nenv > {out}.env\ncat > {out}\n")
    os.chmod(script, 0o755)
    t.write_file("aliases", f"runner: |{script}\narchive: {filebox}\n")
    t.params["default_privs"] = PRIVS
    t.write_config()
    t.start()
    send(t, ["runner@local.test", "archive@local.test"], sender="we$ird`x@example.org")
    wait_until(lambda: os.path.exists(out) and os.path.getsize(out) > 0, what="pipe delivery")
    t.wait_queue_empty()
    data = open(out).read()
    assert data.startswith("From we$ird`x@example.org ")
    assert "Delivered-To: runner@local.test" in data
    env = open(out + ".env").read()
    assert "SENDER=we_ird_x@example.org" in env
    assert "RECIPIENT=runner@local.test" in env
    import mailbox
    box = list(mailbox.mbox(filebox, create=False))
    assert len(box) == 1 and box[0]["Delivered-To"] == "archive@local.test"


def test_include_file(make_tern, workdir):
    t = make_tern(start=False)
    inc = t.write_file("team.list", "# team\nalice@virt.test\nbob@virt.test\n")
    t.write_file("aliases", f"team: :include:{inc}\n")
    t.start()
    send(t, ["team@local.test"])
    t.wait_for_mail("alice@virt.test")
    t.wait_for_mail("bob@virt.test")


def test_virtual_alias_and_catch_all(make_tern):
    t = make_tern(start=False)
    t.write_file("virtual", "info@alias.test alice@virt.test\n@alias.test bob@virt.test\n")
    t.start()
    send(t, ["info@alias.test", "anything@alias.test"])
    assert t.wait_for_mail("alice@virt.test")[0]["Delivered-To"] == "alice@virt.test"
    assert t.wait_for_mail("bob@virt.test")[0]["Delivered-To"] == "bob@virt.test"


def test_catch_all_does_not_accept_other_domains(make_tern):
    t = make_tern(start=False)
    t.write_file("virtual", "@alias.test bob@virt.test\n")
    t.start()
    c = RawSMTP(t.port, source="127.0.0.2")
    c.reply()
    c.cmd("EHLO x")
    c.cmd("MAIL FROM:<a@example.org>")
    assert c.cmd("RCPT TO:<x@virt.test>")[0] == 550
    assert c.cmd("RCPT TO:<x@other.example>")[0] == 554


def test_plus_tag_reaches_the_account(tern):
    send(tern, ["alice+lists@virt.test"])
    m = tern.wait_for_mail("alice@virt.test")[0]
    assert m["Delivered-To"] == "alice@virt.test"


def test_bare_recipient_gets_myorigin(tern):
    c = RawSMTP(tern.port)
    c.reply()
    c.cmd("EHLO x")
    c.cmd("MAIL FROM:<a@example.org>")
    assert c.cmd("RCPT TO:<postmaster>")[0] == 250
    c.cmd("DATA")
    assert c.cmd("Subject: pm\r\n\r\nx\r\n.")[0] == 250
    wait_until(lambda: tern.mbox(), what="postmaster mail in the mbox")
    assert tern.mbox()[0]["Delivered-To"] == f"{ME}@local.test"


def test_alias_loop_is_bounced_not_multiplied(make_tern):
    t = make_tern(start=False)
    t.write_file("aliases", "a: b\nb: a\n")
    t.start()
    send(t, ["a@local.test"], sender="")  # from <>: a bounce to a remote sender would stay queued (no remote delivery here)
    wait_until(lambda: "status=bounced" in t.log(), what="loop bounce")
    assert "5.4.6" in t.log() and "loop" in t.log()
    t.wait_queue_empty()


def test_delivered_to_loop(tern):
    send(tern, ["alice@virt.test"], sender="", body=b"Delivered-To: alice@virt.test\r\nSubject: loop\r\n\r\nx\r\n")
    wait_until(lambda: "status=bounced" in tern.log(), what="loop bounce")
    assert "dsn=5.4.6" in tern.log()
    tern.wait_queue_empty()
    assert tern.maildir("alice@virt.test") == []


def test_dangerous_local_parts_stay_literal(make_tern, workdir):
    t = make_tern({"mailbox_command": "/bin/true"})
    c = RawSMTP(t.port)
    c.reply()
    c.cmd("EHLO x")
    c.cmd("MAIL FROM:<a@example.org>")
    for rcpt in ('"|touch /tmp/tern-pwned"@local.test', '"/tmp/tern-pwned"@local.test',
                 "${run{id}}@local.test", "$(id)@local.test", "%u@local.test"):
        code, text = c.cmd(f"RCPT TO:<{rcpt}>")
        assert code in (501, 550), rcpt  # syntax error or unknown user, never delivered
    assert not os.path.exists("/tmp/tern-pwned")


def test_lmdb_aliases_via_newaliases(make_tern):
    t = make_tern(start=False)
    path = t.write_file("aliases.db.src", "sales: alice@virt.test\n")
    t.params["alias_maps"] = f"lmdb:{path}"
    t.params["alias_database"] = f"lmdb:{path}"
    t.write_config()
    t.run("newaliases")
    assert os.path.exists(path + ".lmdb")
    t.start()
    send(t, ["sales@local.test"])
    t.wait_for_mail("alice@virt.test")


def test_alias_with_open_quote_defers_and_loses_nothing(make_tern):
    """A quote left open would make "|/bin/a, |/bin/b" one command: tern
    defers that recipient with 4.3.0, naming the entry, keeps the message
    queued for it, and delivers the other recipient of the same message."""
    t = make_tern(start=False)
    t.write_file("aliases", 'odd: "|/bin/false, alice@virt.test\nok: bob@virt.test\n')
    t.start()
    send(t, ["odd@local.test", "ok@local.test"])
    t.wait_for_mail("bob@virt.test")
    wait_until(lambda: "status=deferred" in t.log(), what="the deferral logged")
    line = next(l for l in t.log().splitlines() if "status=deferred" in l)
    assert "to=<odd@local.test>" in line and "dsn=4.3.0" in line and "alias entry for odd" in line, line
    assert "not closed" in line, line
    assert len(t.queue_files()) == 1
    assert t.maildir("alice@virt.test") == []
