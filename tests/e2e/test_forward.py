"""~/.forward for system users (issue 9 item 6; RELIABILITY.md #53, #54):
tern reads the file as its user, with Postfix's checks and stricter ones,
delivers |commands and /files as that user, and resubmits the message to
the addresses it names. Real system users are made with useradd for each
test (so the tests need root, as CI has) and removed afterwards."""

import mailbox
import os
import pwd
import random
import shutil
import smtplib
import subprocess
import tempfile

import pytest

from conftest import wait_until

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to create system users")


class Users:
    """Two throwaway system users with homes under a 0755 directory (the
    directory chain a .forward lives in must not be writable by others)."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="tern-fwd-homes-")
        os.chmod(self.root, 0o755)
        self.names = []

    def add(self, prefix):
        name = f"{prefix}{random.randint(100000, 999999)}"
        home = os.path.join(self.root, name)
        subprocess.run(["useradd", "-m", "-d", home, "-s", "/bin/sh", "-K", "MAIL_DIR=/nonexistent", name],
                       check=True, capture_output=True)
        os.chmod(home, 0o755)
        self.names.append(name)
        return pwd.getpwnam(name)

    def cleanup(self):
        for n in self.names:
            subprocess.run(["userdel", "-f", n], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def users():
    u = Users()
    yield u
    u.cleanup()


def write_forward(pw, text, mode=0o644, name=".forward"):
    path = os.path.join(pw.pw_dir, name)
    with open(path, "wb") as f:
        f.write(text if isinstance(text, bytes) else text.encode())
    os.chown(path, pw.pw_uid, pw.pw_gid)
    os.chmod(path, mode)
    return path


def root_file(users, name, text, mode):
    """A root-owned file beside the homes."""
    path = os.path.join(users.root, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def maildir(pw):
    path = os.path.join(pw.pw_dir, "Maildir")
    if not os.path.isdir(os.path.join(path, "new")):
        return []
    md = mailbox.Maildir(path, create=False)
    return [md[k] for k in md.keys()]


def wait_maildir(pw, count=1):
    wait_until(lambda: len(maildir(pw)) >= count, what=f"{count} message(s) in {pw.pw_name}'s Maildir")
    return maildir(pw)


# From a local account: a bounce (loops, exit 67) is delivered here, not left
# queued for a remote sender.
def send(t, rcpts, subject="fwd", sender="bob@virt.test"):
    with smtplib.SMTP("127.0.0.1", t.port) as s:
        s.sendmail(sender, rcpts, f"Subject: {subject}\r\n\r\nbody\r\n".encode())


def lands_in_mailbox(t, pw, subject="fwd"):
    """Sends to pw's local address, waits for the copy in pw's own Maildir
    and an empty queue; returns the log."""
    send(t, [f"{pw.pw_name}@local.test"], subject=subject)
    assert wait_maildir(pw)[0]["Subject"] == subject
    t.wait_queue_empty()
    return t.log()


# Postfix's default, spelled out: conftest turns .forward off in the
# sanitizer run for every other test (see FORWARD_OFF_UNDER_ASAN there).
FORWARD_ON = {"forward_path": "$home/.forward${recipient_delimiter}${extension}, $home/.forward"}


@pytest.fixture
def fwd_tern(make_tern):
    def factory(extra=None):
        params = {"home_mailbox": "Maildir/", **FORWARD_ON}
        params.update(extra or {})
        return make_tern(params)
    return factory


def test_forward_to_another_local_user(fwd_tern, users):
    alice, bob = users.add("fwa"), users.add("fwb")
    write_forward(alice, f"{bob.pw_name}\n")
    t = fwd_tern()
    send(t, [f"{alice.pw_name}@local.test"], sender="origin@example.org")
    m = wait_maildir(bob)[0]
    assert m["Subject"] == "fwd"
    assert m["Return-Path"] == "<origin@example.org>"  # the original sender
    assert f"{alice.pw_name}@local.test" in m.get_all("Delivered-To")
    t.wait_queue_empty()
    assert maildir(alice) == []
    log = t.log()
    assert f"to=<{bob.pw_name}@local.test>, orig_to=<{alice.pw_name}@local.test>" in log
    assert "status=sent (forwarded as " in log


def test_forward_to_a_virtual_account_and_a_copy_kept(fwd_tern, users):
    alice = users.add("fwa")
    write_forward(alice, f"\\{alice.pw_name}, alice@virt.test\n")
    t = fwd_tern()
    send(t, [f"{alice.pw_name}@local.test"])
    assert t.wait_for_mail("alice@virt.test")[0]["Subject"] == "fwd"
    assert wait_maildir(alice)[0]["Subject"] == "fwd"
    t.wait_queue_empty()
    assert len(maildir(alice)) == 1 and len(t.maildir("alice@virt.test")) == 1


def test_command_runs_as_the_user_in_the_home(fwd_tern, users):
    alice = users.add("fwa")
    write_forward(alice, '"|id -u > uid.out; id -g > gid.out; echo $HOME > home.out; cat > msg.out"\n')
    t = fwd_tern()
    send(t, [f"{alice.pw_name}@local.test"], subject="to a command")
    out = os.path.join(alice.pw_dir, "msg.out")
    wait_until(lambda: os.path.exists(out) and "to a command" in open(out).read(), what="the command's output")
    assert open(os.path.join(alice.pw_dir, "uid.out")).read().strip() == str(alice.pw_uid)
    assert open(os.path.join(alice.pw_dir, "gid.out")).read().strip() == str(alice.pw_gid)
    assert open(os.path.join(alice.pw_dir, "home.out")).read().strip() == alice.pw_dir
    assert os.stat(out).st_uid == alice.pw_uid
    t.wait_queue_empty()
    assert maildir(alice) == []  # the .forward replaces the mailbox


def test_file_is_written_as_the_user(fwd_tern, users):
    alice = users.add("fwa")
    target = os.path.join(alice.pw_dir, "saved.mbox")
    write_forward(alice, f"{target}\n")
    t = fwd_tern()
    send(t, [f"{alice.pw_name}@local.test"], subject="to a file")
    wait_until(lambda: os.path.exists(target), what="the file delivery")
    t.wait_queue_empty()
    msgs = list(mailbox.mbox(target, create=False))
    assert [m["Subject"] for m in msgs] == ["to a file"]
    assert os.stat(target).st_uid == alice.pw_uid


def test_file_alice_cannot_write_is_not_written(fwd_tern, users):
    alice = users.add("fwa")
    victim = root_file(users, "root-only", "untouched\n", 0o644)
    write_forward(alice, f"{victim}\n")
    t = fwd_tern()
    send(t, [f"{alice.pw_name}@local.test"])
    wait_until(lambda: f"to=<{alice.pw_name}@local.test>" in t.log(), what="the delivery attempt")
    assert "status=deferred" in t.log() or "status=bounced" in t.log()
    assert open(victim).read() == "untouched\n"


@pytest.mark.parametrize("how", ["group_writable", "world_writable", "symlink", "owned_by_other"])
def test_unsafe_forward_is_ignored(fwd_tern, users, how):
    alice, bob = users.add("fwa"), users.add("fwb")
    secret = "secret-target-address@example.net"
    if how == "symlink":
        real = write_forward(bob, f"{secret}\n", name="real-forward")
        os.symlink(real, os.path.join(alice.pw_dir, ".forward"))
    elif how == "owned_by_other":
        path = write_forward(alice, f"{secret}\n")
        os.chown(path, bob.pw_uid, bob.pw_gid)
    else:
        write_forward(alice, f"{secret}\n", mode=0o664 if how == "group_writable" else 0o646)
    log = lands_in_mailbox(fwd_tern(), alice, subject="still mine")
    assert "ignored: it " in log and "delivering to the mailbox" in log
    assert secret not in log  # the file's text never reaches the log


def test_symlink_to_a_root_only_file_is_ignored(fwd_tern, users):
    alice = users.add("fwa")
    secret = root_file(users, "shadow-like", "root-secret@example.net\n", 0o600)
    os.symlink(secret, os.path.join(alice.pw_dir, ".forward"))
    log = lands_in_mailbox(fwd_tern(), alice)
    assert "root-secret" not in log
    assert "symbolic link" in log


def test_writable_home_directory_makes_forward_ignored(fwd_tern, users):
    alice = users.add("fwa")
    write_forward(alice, "elsewhere@example.net\n")
    os.chmod(alice.pw_dir, 0o777)
    assert "is writable by group or others" in lands_in_mailbox(fwd_tern(), alice)


def test_loop_between_two_users_ends(fwd_tern, users):
    alice, bob = users.add("fwa"), users.add("fwb")
    write_forward(alice, f"{bob.pw_name}\n")
    write_forward(bob, f"{alice.pw_name}@local.test\n")
    t = fwd_tern()
    send(t, [f"{alice.pw_name}@local.test"])
    wait_until(lambda: "mail forwarding loop" in t.log(), what="the loop to be detected")
    t.wait_queue_empty()
    log = t.log()
    forwards = [l for l in log.splitlines() if "orig_to=" in l and "forwarded as " in l]
    assert len(forwards) == 2, forwards  # alice -> bob -> alice, then 5.4.6
    assert "dsn=5.4.6" in log
    assert maildir(alice) == [] and maildir(bob) == []


def test_forward_to_self_is_the_mailbox(fwd_tern, users):
    alice = users.add("fwa")
    write_forward(alice, f"{alice.pw_name}\n")
    assert "forwarded as" not in lands_in_mailbox(fwd_tern(), alice)
    assert len(maildir(alice)) == 1


def test_extension_forward_file_first(fwd_tern, users):
    alice = users.add("fwa")
    write_forward(alice, "alice@virt.test\n", name=".forward+lists")
    write_forward(alice, f"\\{alice.pw_name}\n")
    t = fwd_tern()
    send(t, [f"{alice.pw_name}+lists@local.test"], subject="list mail")
    assert t.wait_for_mail("alice@virt.test")[0]["Subject"] == "list mail"
    send(t, [f"{alice.pw_name}+other@local.test"], subject="other")
    assert wait_maildir(alice)[0]["Subject"] == "other"
    t.wait_queue_empty()
    # An extension with a slash never reaches forward_path: RCPT refuses it
    # (and dot_forward's expansion drops such a candidate: delivery_test).
    with smtplib.SMTP("127.0.0.1", t.port) as s:
        s.mail("s@example.org")
        assert s.rcpt(f"{alice.pw_name}+/../../x@local.test")[0] >= 500


def test_hostile_forward_lines(fwd_tern, users):
    alice = users.add("fwa")
    text = (b"# a comment\n"
            + b"a" * 20000 + b"\n"                       # a very long address-like line
            + b"bad\x00nul@example.net\n"                # NUL inside an item
            + b"\"|echo $(id -u) > meta.out; touch pwned\"\n"  # shell syntax: run by sh as alice
            + b"\\" + alice.pw_name.encode() + b"\n")
    write_forward(alice, text)
    log = lands_in_mailbox(fwd_tern(), alice)
    meta = os.path.join(alice.pw_dir, "meta.out")
    assert open(meta).read().strip() == str(alice.pw_uid)
    assert os.stat(os.path.join(alice.pw_dir, "pwned")).st_uid == alice.pw_uid
    assert not os.path.exists("pwned") and not os.path.exists("/pwned")
    assert "control character" in log
    assert "\x00" not in log


def test_oversized_forward_is_ignored(fwd_tern, users):
    alice = users.add("fwa")
    write_forward(alice, "x@example.net,\n" * 10000)
    assert "larger than" in lands_in_mailbox(fwd_tern(), alice)


def test_commands_not_allowed_from_forward(fwd_tern, users):
    alice = users.add("fwa")
    write_forward(alice, '"|touch ran.out"\n')
    t = fwd_tern({"allow_mail_to_commands": "alias"})
    send(t, [f"{alice.pw_name}@local.test"])
    wait_until(lambda: "mail to command is restricted" in t.log(), what="the refusal")
    t.wait_queue_empty()
    assert not os.path.exists(os.path.join(alice.pw_dir, "ran.out"))
    assert "dsn=5.7.1" in t.log()


def test_command_exit_75_defers_and_retries(fwd_tern, users):
    alice = users.add("fwa")
    flag = os.path.join(alice.pw_dir, "second")
    write_forward(alice, f'"|if [ -e {flag} ]; then cat > got.out; else touch {flag}; exit 75; fi"\n')
    t = fwd_tern()
    send(t, [f"{alice.pw_name}@local.test"])
    got = os.path.join(alice.pw_dir, "got.out")
    wait_until(lambda: os.path.exists(got) and os.path.getsize(got) > 0, timeout=20, what="the retried command")
    t.wait_queue_empty()
    assert "status=deferred" in t.log()


def test_forward_through_the_root_owned_local_delivery_process(make_tern, users):
    alice, bob = users.add("fwa"), users.add("fwb")
    write_forward(alice, f'{bob.pw_name}, "|id -u > uid.out"\n')
    t = make_tern({"home_mailbox": "Maildir/", "mail_owner": "tern", **FORWARD_ON})
    send(t, [f"{alice.pw_name}@local.test"])
    assert wait_maildir(bob)[0]["Subject"] == "fwd"
    uid_out = os.path.join(alice.pw_dir, "uid.out")
    wait_until(lambda: os.path.exists(uid_out) and os.path.getsize(uid_out) > 0, what="the command")
    assert open(uid_out).read().strip() == str(alice.pw_uid)
    t.wait_queue_empty()
    assert f"orig_to=<{alice.pw_name}@local.test>" in t.log()


def test_include_in_forward(fwd_tern, users):
    alice, bob = users.add("fwa"), users.add("fwb")
    inc = write_forward(alice, f"{bob.pw_name}\n", name="list.inc")
    write_forward(alice, f":include:{inc}\n")
    t = fwd_tern()
    send(t, [f"{alice.pw_name}@local.test"])
    assert wait_maildir(bob)[0]["Subject"] == "fwd"
    t.wait_queue_empty()


@pytest.mark.parametrize("allow", ["alias, forward", "alias, forward, include"])
def test_command_inside_an_include_needs_include_allowed(fwd_tern, users, allow):
    alice = users.add("fwa")
    inc = write_forward(alice, '"|id -u > inc-uid.out"\n', name="cmd.inc")
    write_forward(alice, f":include:{inc}\n")
    t = fwd_tern({"allow_mail_to_commands": allow})
    send(t, [f"{alice.pw_name}@local.test"])
    t.wait_queue_empty()
    out = os.path.join(alice.pw_dir, "inc-uid.out")
    if "include" in allow:
        assert open(out).read().strip() == str(alice.pw_uid)
    else:
        assert not os.path.exists(out)
        assert "mail to command is restricted (include" in t.log()


def test_command_exit_67_bounces_5_1_1(fwd_tern, users):
    alice = users.add("fwa")
    write_forward(alice, '"|sh -c \'exit 67\'"\n')
    t = fwd_tern()
    send(t, [f"{alice.pw_name}@local.test"])
    wait_until(lambda: "status=bounced" in t.log(), what="the bounce")
    t.wait_queue_empty()
    assert "dsn=5.1.1" in t.log()
    assert maildir(alice) == []


def test_forward_path_setting_and_roots_command_runs_as_nobody(fwd_tern, users):
    """forward_path from main.cf; root's .forward (kept out of /root by it)
    runs its command as nobody, never as root."""
    fdir = os.path.join(users.root, "forwards")
    os.mkdir(fdir, 0o755)
    out = os.path.join(users.root, "out")
    os.mkdir(out)
    os.chmod(out, 0o777)
    path = os.path.join(fdir, "root.fwd")
    with open(path, "w") as f:
        f.write(f'"|id -u > {out}/uid"\n')
    os.chmod(path, 0o644)
    t = fwd_tern({"forward_path": f"{fdir}/$user.fwd"})
    assert "forward_path" not in t.log()  # no "unknown $user" warning at load
    send(t, [f"root@local.test"])
    uid = os.path.join(out, "uid")
    wait_until(lambda: os.path.exists(uid) and os.path.getsize(uid) > 0, what="root's forward command")
    assert open(uid).read().strip() == str(pwd.getpwnam("nobody").pw_uid)
    t.wait_queue_empty()


def test_unprivileged_tern_follows_only_its_own_users_forward(make_tern, users):
    """tern run by an ordinary user (as the demo runs) reads that user's
    .forward in its own process; another user's mail waits for root."""
    alice, bob = users.add("fwa"), users.add("fwb")
    write_forward(alice, '"|id -u > uid.out"\n')
    write_forward(bob, "elsewhere@example.net\n")
    t = make_tern({"home_mailbox": "Maildir/", **FORWARD_ON}, start=False)
    for root, dirs, files in os.walk(t.base):
        for n in [root] + [os.path.join(root, x) for x in dirs + files]:
            os.chown(n, alice.pw_uid, alice.pw_gid)
    t.start(prefix=("setpriv", f"--reuid={alice.pw_uid}", f"--regid={alice.pw_gid}", "--clear-groups"))
    send(t, [f"{alice.pw_name}@local.test", f"{bob.pw_name}@local.test"])
    uid = os.path.join(alice.pw_dir, "uid.out")
    wait_until(lambda: os.path.exists(uid) and os.path.getsize(uid) > 0, what="alice's forward command")
    assert open(uid).read().strip() == str(alice.pw_uid)
    wait_until(lambda: f"to=<{bob.pw_name}@local.test>" in t.log(), what="bob's attempt")
    log = t.log()
    assert "without root privileges" in log and "elsewhere@example.net" not in log
    assert maildir(bob) == []


def test_two_recipients_reaching_one_forward_forward_once(fwd_tern, users):
    alice, bob = users.add("fwa"), users.add("fwb")
    write_forward(alice, f"{bob.pw_name}\n")
    t = fwd_tern()
    send(t, [f"{alice.pw_name}@local.test", f"{alice.pw_name}+x@local.test", f"{alice.pw_name.upper()}@local.test"])
    wait_maildir(bob)
    t.wait_queue_empty()
    assert len(maildir(bob)) == 1
    assert len([l for l in t.log().splitlines() if "forwarded as" in l]) == 1
