"""Account names never reach the file system as paths (issue 7, item 1):
passwd-file entries such as `a/../../../x@virt.test` are skipped with a
warning naming file:line, `tern user add` refuses them, and no recipient
can make delivery write outside virtual_mailbox_base, while the ordinary
accounts beside them keep working."""

import os
import smtplib

from conftest import RawSMTP

# From virtual_mailbox_base/virt.test/ each of these points elsewhere in the
# test's own directory (never higher, so a failing run writes nothing else).
HOSTILE = ["a/../../../x", "../escaped", "..", ".hidden", "b/c/../../../../y"]


def files_outside(root, inside):
    """Every path under root that is not under inside, relative to root."""
    out = set()
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            if not (p + "/").startswith(inside.rstrip("/") + "/"):
                out.add(os.path.relpath(p, root))
    return out


def rcpt(t, address):
    c = RawSMTP(t.port)
    try:
        c.reply()
        c.cmd("EHLO x")
        c.cmd("MAIL FROM:<s@example.org>")
        code, _ = c.cmd(f"RCPT TO:<{address}>")
        if code == 250:
            assert c.cmd("DATA")[0] == 354
            c.send("Subject: escape\r\n\r\nwhere does this go?\r\n.\r\n")
            c.reply()
        return code
    finally:
        c.close()


def test_hostile_passwd_entries_cannot_write_outside_the_base(make_tern, workdir):
    t = make_tern(start=False, users=())
    lines = [f"{h}@virt.test:" for h in HOSTILE] + ["alice@virt.test:"]
    t.write_file("users", "\n".join(lines) + "\n")
    # Virtual aliases hand the rewriter the raw names, unquoted.
    t.write_file("virtual", "".join(f"esc{i}@alias.test {h}@virt.test\n" for i, h in enumerate(HOSTILE)))
    before = files_outside(workdir, t.vmail)
    t.start()
    for h in HOSTILE:
        # Quoted: RFC 5321 allows any of these local parts in a quoted string.
        assert rcpt(t, f'"{h}"@virt.test') == 550, h
    with smtplib.SMTP("127.0.0.1", t.port) as s:
        for i in range(len(HOSTILE)):
            try:
                s.sendmail("", [f"esc{i}@alias.test"], b"Subject: escape\r\n\r\nvia an alias\r\n")
            except smtplib.SMTPRecipientsRefused:
                pass
        s.sendmail("s@example.org", ["alice@virt.test"], b"Subject: fine\r\n\r\nstill delivered\r\n")
    assert t.wait_for_mail("alice@virt.test")[0]["Subject"] == "fine"
    t.wait_queue_empty()
    # Nothing new beside the mailboxes (the queue and log files are the daemon's own).
    after = files_outside(workdir, t.vmail)
    new = {p for p in after - before if p.split("/")[0] not in ("queue", "maillog", "stderr.log")}
    assert new == set()
    assert sorted(os.listdir(t.vmail)) == ["virt.test"]
    assert sorted(os.listdir(os.path.join(t.vmail, "virt.test"))) == ["alice"]
    # The operator is told which lines were skipped, and where.
    listed = t.run("user", "list")
    assert listed.stdout.split() == ["alice@virt.test"]
    for n in range(1, len(HOSTILE) + 1):
        assert f"users:{n}: entry skipped" in listed.stderr, listed.stderr


def test_user_add_refuses_path_names(make_tern):
    t = make_tern(start=False, users=("alice@virt.test",))
    for name in ("a/b@virt.test", "a/../../../x@virt.test", "..@virt.test", ".x@virt.test", "x@../virt.test", "a\x01b@virt.test"):
        r = t.run("user", "add", name, "--password-stdin", input="pw\n", check=False)
        assert r.returncode == 64, (name, r.returncode, r.stderr)
    assert t.run("user", "list").stdout.split() == ["alice@virt.test"]
    # The tool still removes a bad line an administrator wrote by hand.
    with open(os.path.join(t.base, "users"), "a") as f:
        f.write("evil/../x@virt.test:\n")
    t.run("user", "del", "evil/../x@virt.test")
    assert "evil" not in open(os.path.join(t.base, "users")).read()
