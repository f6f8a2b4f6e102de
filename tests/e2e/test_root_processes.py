"""What stays root when tern is started by root (RELIABILITY.md #56, #57).
#56: no process or thread that reads the network or schedules deliveries
runs as root or keeps a capability, and, traced with strace from the first
instruction, no process while root opens, creates, links, renames or
removes a name in a directory that another uid can write (where a local
user could plant a symlink or a FIFO). #57: an ordinary user's
`sendmail -C evil.cf` and `TERN_CONFIG=evil.cf` change nothing the daemon
does, and garbage on every internal Unix socket is refused, logged, and
survived."""

import os
import pwd
import re
import signal
import smtplib
import socket
import stat
import subprocess

import pytest

from conftest import ME, TERN, recorded_runs, recording_command, wait_until
from test_privileges import status_fields

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: tests the privilege drop of a root start")

FILE_CALLS = ("open", "openat", "creat", "mkdir", "mkdirat", "unlink", "unlinkat", "rename", "renameat",
              "renameat2", "link", "linkat", "symlink", "symlinkat", "truncate", "chown", "fchownat",
              "chmod", "fchmodat", "mknod", "mknodat")
ID_CALLS = ("setuid", "setresuid", "setreuid")
FORK_CALLS = ("clone", "clone3", "fork", "vfork")
LINE = re.compile(r"^(\d+) +(\w+)\((.*)\) += (-?\d+|\?)")


def writable_by_another_uid(directory):
    """True if a uid other than root can add or replace names in directory
    (a sticky world-writable directory only lets them add their own)."""
    try:
        st = os.stat(directory)
    except FileNotFoundError:
        return False
    m = st.st_mode
    if st.st_uid != 0 and m & stat.S_IWUSR:
        return True
    if st.st_gid != 0 and m & stat.S_IWGRP:
        return True
    return bool(m & stat.S_IWOTH) and not m & stat.S_ISVTX


def parse_trace(trace):
    """Yields (pid, call, args, ret) from `strace -f` output, joining calls
    that other threads interrupted (<unfinished ...> / <... resumed>)."""
    unfinished = {}
    with open(trace) as f:
        for raw in f:
            raw = raw.rstrip("\n")
            m = re.match(r"^(\d+) +(.*) <unfinished \.\.\.>$", raw)
            if m:
                unfinished[m.group(1)] = m.group(2)
                continue
            m = re.match(r"^(\d+) +<\.\.\. \w+ resumed>(.*)$", raw)
            if m and m.group(1) in unfinished:
                raw = f"{m.group(1)} {unfinished.pop(m.group(1))}{m.group(2)}"
            m = LINE.match(raw)
            if m:
                yield m.groups()


def root_file_calls(trace, cwd):
    """(call, args, dir handle or None, path) for every file-name system
    call made while the effective uid was 0. Credentials follow fork/clone;
    glibc's setuid() runs the system call in every thread, so each drops."""
    root = {}
    for pid, call, args, ret in parse_trace(trace):
        is_root = root.setdefault(pid, not root)  # the first process seen is the root start
        if call in FORK_CALLS and ret.isdigit() and int(ret) > 0:
            root[ret] = is_root
        elif call in ID_CALLS and ret == "0":
            ids = [int(x) for x in re.findall(r"-?\d+", args)]
            euid = ids[1] if call in ("setresuid", "setreuid") and len(ids) > 1 else ids[0]
            if euid not in (-1, 0):
                root[pid] = False
        elif call in FILE_CALLS and is_root:
            for dirfd, name in re.findall(r'(?:(AT_FDCWD|\d+<[^>]*>), )?"([^"]*)"', args):
                handle = dirfd.split("<", 1)[1][:-1] if dirfd[:1].isdigit() else None
                base = handle or cwd
                yield call, args, handle, os.path.normpath(os.path.join(base, name))


def unsafe(call, args, handle, path):
    """Can another uid redirect this root call? By path, if any directory on
    the way lives in a directory that uid can write (it could be swapped for
    a symlink); relative to a handle, only the last name counts. In a
    directory another uid can write, the last name must not be followed:
    O_NOFOLLOW (and O_EXCL when creating) for opens, AT_SYMLINK_NOFOLLOW for
    fchownat/fchmodat; mkdir, unlink and rename never follow it."""
    if path.startswith(("/proc/", "/sys/", "/dev/")):
        return False
    parent = os.path.dirname(path)
    if handle is None or parent != os.path.normpath(handle):
        d = os.path.dirname(parent)
        while True:
            if writable_by_another_uid(d):
                return True
            if d == "/":
                break
            d = os.path.dirname(d)
    if not writable_by_another_uid(parent):
        return False
    if call in ("open", "openat", "creat"):
        return "O_NOFOLLOW" not in args or ("O_CREAT" in args and "O_EXCL" not in args) or call == "creat"
    if call in ("fchownat", "fchmodat"):
        return "AT_SYMLINK_NOFOLLOW" not in args
    return call not in ("mkdir", "mkdirat", "unlink", "unlinkat", "rename", "renameat", "renameat2")


def start_and_deliver(make_tern, workdir, prefix=(), env=None):
    """Starts tern as root with mail_owner (once plain to create and chown
    the queue, then under prefix, as on every later start) and delivers one
    message to a virtual account, root's mbox and an alias command.
    Returns (tern, pid of the tern process)."""
    cmd, out = recording_command(workdir)
    t = make_tern({"mail_owner": "tern", "default_privs": "nobody"}, start=False)
    t.write_file("aliases", f"postmaster: {ME}\npiped: |{cmd}\n")
    os.chmod(t.base, 0o755)
    os.chmod(workdir, 0o755)
    open(out, "w").close()
    os.chmod(out, 0o666)  # the command runs as nobody
    t.start()
    t.stop()
    t.start(prefix=prefix, env=env)
    pid = t.proc.pid
    if prefix:
        pid = int(wait_until(lambda: subprocess.run(["pgrep", "-P", str(t.proc.pid)], capture_output=True,
                                                    text=True).stdout.split(), what="tern under strace")[0])
    with smtplib.SMTP("127.0.0.1", t.port) as s:
        s.sendmail("a@example.org", ["alice@virt.test", f"{ME}@local.test", "piped@local.test"],
                   b"Subject: traced\r\n\r\nx\r\n")
    t.wait_for_mail("alice@virt.test")
    wait_until(lambda: t.mbox() and recorded_runs(out), what="mbox and command deliveries")
    t.wait_queue_empty()
    return t, pid


def test_network_and_scheduler_threads_run_as_mail_owner_without_capabilities(make_tern, workdir):
    owner = pwd.getpwnam("tern")
    t, pid = start_and_deliver(make_tern, workdir)
    names = set()
    for tid in os.listdir(f"/proc/{pid}/task"):
        st = status_fields(f"{pid}/task/{tid}")
        names.add(st["Name"][0])
        assert {int(x) for x in st["Uid"]} == {owner.pw_uid}, (tid, st["Name"], st["Uid"])
        assert {int(x) for x in st["Gid"]} == {owner.pw_gid}, (tid, st["Name"], st["Gid"])
        for cap in ("CapEff", "CapPrm", "CapInh", "CapAmb"):
            assert int(st[cap][0], 16) == 0, (tid, st["Name"], cap)
    assert {"tern-commit", "tern-deliver"} <= names, names
    ps = subprocess.run(["ps", "-o", "user=,pid=,comm=", "--ppid", str(pid)], capture_output=True,
                        text=True).stdout.strip().split("\n")
    # The one child is the local delivery process: root, idle, single-threaded.
    assert len(ps) == 1 and ps[0].split()[0] == "root", ps
    assert os.listdir(f"/proc/{ps[0].split()[1]}/task") == [ps[0].split()[1]]


def test_root_never_reaches_a_name_through_a_directory_another_uid_can_write(make_tern, workdir):
    trace = os.path.join(workdir, "trace")
    # LeakSanitizer cannot run under ptrace; every other test checks for leaks.
    env = {"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0"}
    t, pid = start_and_deliver(make_tern, workdir, env=env, prefix=[
        "strace", "-f", "-y", "-qq", "-s", "256", "-o", trace,
        "-e", "trace=" + ",".join(FILE_CALLS + ID_CALLS + FORK_CALLS)])
    os.kill(pid, signal.SIGTERM)
    t.proc.wait(timeout=15)
    t.proc = None
    t.stderr.close()
    bad = sorted({f"{call}({args})" for call, args, handle, path in root_file_calls(trace, os.getcwd())
                  if unsafe(call, args, handle, path)})
    assert bad == [], "root touched names in directories another uid can write:\n" + "\n".join(bad)


def as_nobody(*argv, env=None, input=b""):
    return subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *argv],
                          input=input, capture_output=True, timeout=30, env={**os.environ, **(env or {})})


def test_evil_config_from_an_ordinary_user_gives_no_privilege(make_tern, workdir):
    """sendmail -C evil.cf and TERN_CONFIG=evil.cf: the daemon delivers by
    its own configuration; the aliases, mailbox_command and queue that the
    user's file names are never used with privilege."""
    t = make_tern({"mail_owner": "tern"})
    os.chmod(t.base, 0o755)
    evil_dir = os.path.join(workdir, "evil")
    os.makedirs(evil_dir)
    os.chmod(evil_dir, 0o777)
    pwned = os.path.join(evil_dir, "pwned")
    with open(os.path.join(evil_dir, "aliases"), "w") as f:
        f.write(f"alice: |/usr/bin/touch {pwned}\nroot: |/usr/bin/touch {pwned}\n")
    evil = os.path.join(evil_dir, "evil.cf")
    with open(os.path.join(t.config)) as f:
        real = f.read()
    with open(evil, "w") as f:
        f.write(real + f"alias_maps = texthash:{evil_dir}/aliases\nmailbox_command = /usr/bin/touch {pwned}\n"
                f"allow_mail_to_commands = alias, include\nmail_owner = root\ndefault_privs = root\n"
                f"mydestination = local.test, virt.test\n")
    os.chmod(evil, 0o644)
    r1 = as_nobody(TERN, "sendmail", "-C", evil, "-i", "alice@virt.test", input=b"Subject: via -C\n\nx\n")
    r2 = as_nobody(TERN, "sendmail", "-i", "alice@virt.test", f"{ME}@local.test",
                   env={"TERN_CONFIG": evil}, input=b"Subject: via TERN_CONFIG\n\nx\n")
    assert r1.returncode == 0 and r2.returncode == 0, (r1.stderr, r2.stderr)
    msgs = t.wait_for_mail("alice@virt.test", count=2)
    assert sorted(m["Subject"] for m in msgs) == ["via -C", "via TERN_CONFIG"]
    wait_until(lambda: t.mbox(), what="root's mbox delivery by the daemon's rules")
    t.wait_queue_empty()
    assert not os.path.exists(pwned)
    # Both were recorded as submitted by nobody, not by a user they chose.
    uid = pwd.getpwnam("nobody").pw_uid
    assert all(f"from userid {uid}" in m["Received"] for m in msgs)


def internal_sockets(tern_pid):
    """Paths of the Unix sockets the daemon listens on (from /proc/net/unix)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{tern_pid}/fd"):
        try:
            target = os.readlink(f"/proc/{tern_pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    paths = []
    with open("/proc/net/unix") as f:
        next(f)
        for line in f:
            fields = line.split()
            if len(fields) >= 8 and fields[6] in inodes and fields[7].startswith("/"):
                paths.append(fields[7])
    return sorted(set(paths))


def test_garbage_on_every_internal_unix_socket(make_tern):
    t = make_tern({"mail_owner": "tern"})
    sockets = internal_sockets(t.proc.pid)
    assert os.path.join(t.queue, "public", "submit") in sockets, sockets
    junk = [b"", b"\x00" * 100, b"TERNQ1\n" + b"\xff" * 40, b"TERNQ1\nS\xff\xff\xff\x7fxx",
            b"EHLO x\r\nMAIL FROM:<a@b>\r\n", os.urandom(70000)]
    for path in sockets:
        for data in junk:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(10)
            s.connect(path)
            try:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
                reply = s.recv(200)
            except (BrokenPipeError, ConnectionResetError):
                reply = b""
            s.close()
            assert not reply.startswith(b"OK"), (path, data[:20], reply)
    assert t.proc.poll() is None
    # Each refusal is logged with the peer's uid (one line each, the empty
    # request included); the 70,000 random bytes may be cut short as too large.
    wait_until(lambda: t.log().count("local submission from uid 0: bad request") >= len(junk) - 1,
               what="the refusals in the log")
    with smtplib.SMTP("127.0.0.1", t.port) as s:
        s.sendmail("a@example.org", ["alice@virt.test"], b"Subject: still alive\r\n\r\nx\r\n")
    assert t.wait_for_mail("alice@virt.test")
