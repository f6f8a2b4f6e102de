"""Local delivery safety (RELIABILITY.md #52, #54). #52: a mailbox that is
a symlink, has a second hard link, or belongs to someone else, and a
Maildir whose new/ is a symlink -> the delivery is deferred with a logged
reason, the files behind them are byte-identical, the mail stays queued.
#54: a command target runs as the right uid/gid with the right HOME (never
root), `|cmd` inside an :include: file is refused unless allowed, exit 75
defers, exit 67 bounces 5.1.1, and a command over command_time_limit is
killed and deferred."""

import os
import pwd
import smtplib

import pytest

from conftest import ME, PRIVS, recorded_runs, recording_command, wait_until

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: mailboxes of other users and chown")


def send(t, rcpt, body=b"Subject: safety\r\n\r\nx\r\n", sender="s@example.org"):
    with smtplib.SMTP("127.0.0.1", t.port) as s:
        s.sendmail(sender, [rcpt], body)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def deferred(t):
    wait_until(lambda: "status=deferred" in t.log(), what="a deferral")
    assert "status=sent" not in t.log()
    assert [f for f in t.queue_files() if f.startswith("active/")], "the mail must stay queued"
    return [line for line in t.log().splitlines() if "status=deferred" in line]


@needs_root
@pytest.mark.parametrize("kind", [
    "hardlink",
    "other-owner",
])
def test_mbox_refused_and_left_untouched(make_tern, workdir, kind):
    victim_user = pwd.getpwnam("nobody")
    t = make_tern(start=False)
    os.chmod(t.spool, 0o1777)
    victim = os.path.join(workdir, "victim")
    original = b"From x@y Thu Jan  1 00:00:00 1970\nSubject: precious\n\nkeep me\n"
    write(victim, original)
    mbox = os.path.join(t.spool, "nobody")
    if kind == "hardlink":
        os.chown(victim, victim_user.pw_uid, victim_user.pw_gid)
        os.link(victim, mbox)  # nlink 2
    else:
        write(mbox, original)  # owned by root, not by nobody, yet writable by nobody
        os.chmod(mbox, 0o666)
        victim = mbox
    t.start()
    send(t, "nobody@local.test")
    lines = deferred(t)
    assert any("link" in l or "owner" in l or "owned" in l or "refus" in l for l in lines), lines
    assert read(victim) == original


@needs_root
def test_maildir_new_symlink_is_refused(make_tern, workdir):
    t = make_tern(start=False)
    md = t.maildir_path("alice@virt.test")
    os.makedirs(os.path.join(md, "cur"))
    os.makedirs(os.path.join(md, "tmp"))
    elsewhere = os.path.join(workdir, "elsewhere")
    os.makedirs(elsewhere)
    write(os.path.join(elsewhere, "existing"), b"untouched\n")
    os.symlink(elsewhere, os.path.join(md, "new"))
    t.start()
    send(t, "alice@virt.test")
    lines = deferred(t)
    assert any("symlink" in l or "link" in l or "refus" in l for l in lines), lines
    assert sorted(os.listdir(elsewhere)) == ["existing"]
    assert read(os.path.join(elsewhere, "existing")) == b"untouched\n"
    assert os.listdir(os.path.join(md, "tmp")) == []


def script(workdir, name, code=0, body=None):
    if body is None:
        return recording_command(workdir, name, code)
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write(body)
    os.chmod(path, 0o755)
    return path, None


def ordinary_user():
    for p in pwd.getpwall():
        if 1000 <= p.pw_uid < 65534 and os.path.isdir(p.pw_dir):
            return p
    return None


@needs_root
def test_alias_command_runs_as_default_privs_and_root_as_nobody(make_tern, workdir):
    cmd, out = script(workdir, "whoami.py")
    nobody = pwd.getpwnam("nobody")
    t = make_tern({"mailbox_command": cmd, "default_privs": "nobody"}, start=False)
    t.write_file("aliases", f"postmaster: {ME}\npiped: |{cmd}\n")
    t.start()
    send(t, "piped@local.test")
    send(t, "root@local.test")  # mailbox_command for root: never as root
    wait_until(lambda: len(recorded_runs(out)) == 2, what="both command deliveries")
    for r in recorded_runs(out):
        assert (r["uid"], r["euid"], r["gid"]) == (nobody.pw_uid, nobody.pw_uid, nobody.pw_gid), r
        assert r["env"].get("HOME") == nobody.pw_dir, r
    t.wait_queue_empty()


@needs_root
def test_mailbox_command_runs_as_the_user_with_her_home(make_tern, workdir):
    user = ordinary_user()
    if user is None:
        pytest.skip("no ordinary user (uid >= 1000 with a home directory) on this machine")
    cmd, out = script(workdir, "whoami.py")
    t = make_tern({"mailbox_command": cmd})
    send(t, f"{user.pw_name}@local.test")
    wait_until(lambda: recorded_runs(out), what="the command delivery")
    r = recorded_runs(out)[0]
    assert (r["uid"], r["euid"], r["gid"]) == (user.pw_uid, user.pw_uid, user.pw_gid), r
    assert r["env"].get("HOME") == user.pw_dir and r["cwd"] == user.pw_dir, r


def test_pipe_in_include_file_refused_unless_allowed(make_tern, workdir):
    cmd, out = script(workdir, "whoami.py")
    listfile = os.path.join(workdir, "list")
    with open(listfile, "w") as f:
        f.write(f"alice@virt.test\n|{cmd}\n")
    t = make_tern({"default_privs": PRIVS}, start=False)
    t.write_file("aliases", f"postmaster: {ME}\nteam: :include:{listfile}\n")
    t.start()
    send(t, "team@local.test", sender="")  # from <>: a bounce to a remote sender would stay queued (no remote delivery here)
    wait_until(lambda: "status=bounced" in t.log(), what="the refusal")
    assert "dsn=5.7.1" in t.log() and "mail to command is restricted (include)" in t.log()
    t.wait_queue_empty()
    assert recorded_runs(out) == []

    t.stop()
    t.params["allow_mail_to_commands"] = "alias, include"
    t.write_config()
    t.start()
    send(t, "team@local.test")
    wait_until(lambda: recorded_runs(out), what="the allowed include command")
    t.wait_for_mail("alice@virt.test")


def test_alias_command_exit_codes(make_tern, workdir):
    tempfail, tf_out = script(workdir, "tempfail.py", code=75)
    nouser, nu_out = script(workdir, "nouser.py", code=67)
    t = make_tern({"default_privs": PRIVS}, start=False)
    t.write_file("aliases", f"postmaster: {ME}\nlater: |{tempfail}\ngone: |{nouser}\n")
    t.start()
    send(t, "gone@local.test")
    wait_until(lambda: "status=bounced" in t.log(), what="exit 67 to bounce")
    assert "dsn=5.1.1" in t.log()
    send(t, "later@local.test")
    # Deferred, then retried (minimal_backoff_time is 1s): a second run.
    wait_until(lambda: len(recorded_runs(tf_out)) >= 2, timeout=20, what="a retry after exit 75")
    assert "dsn=4.3.0" in t.log() or "status=deferred" in t.log()
    assert [f for f in t.queue_files() if f.startswith("active/")]
    assert len(recorded_runs(nu_out)) == 1


def test_command_over_time_limit_is_killed_and_deferred(make_tern, workdir):
    pidfile = os.path.join(workdir, "pid")
    slow, _ = script(workdir, "slow.sh", body=f"#!/bin/sh\necho $$ > {pidfile}\nexec sleep 60\n")
    t = make_tern({"default_privs": PRIVS, "command_time_limit": "1s"}, start=False)
    t.write_file("aliases", f"postmaster: {ME}\nslow: |{slow}\n")
    t.start()
    send(t, "slow@local.test")
    wait_until(lambda: "time limit exceeded" in t.log(), timeout=15, what="the time limit")
    line = [l for l in t.log().splitlines() if "time limit exceeded" in l][0]
    assert "status=deferred" in line, line
    pid = int(open(pidfile).read())
    wait_until(lambda: not os.path.exists(f"/proc/{pid}") or "Z" in open(f"/proc/{pid}/stat").read().split()[2],
               what="the command to be killed")
    assert [f for f in t.queue_files() if f.startswith("active/")]
