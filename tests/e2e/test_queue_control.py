"""The queue tools reach the daemon over its control socket, never by a
signal to the pid in queue/pid (issue 7, item 6); the pid file and the
queue walk of a root start never write or chown through a planted link
(item 7); and an ordinary user can neither read the queue nor control the
daemon (RELIABILITY.md #57)."""

import os
import pwd
import re
import smtplib
import socket
import subprocess

import pytest

from conftest import ME, TERN, wait_until

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


def deferred_once(make_tern, overrides=None):
    """A daemon with one message for a command alias that defers its first
    attempt and succeeds on any later one; retries only when asked."""
    t = make_tern(start=False)
    out = os.path.join(t.base, "delivered")
    script = t.write_file("once.sh", f"#!/bin/sh\nif [ -e {out}.tried ]; then cat > {out}; exit 0; fi\n"
                                     f"touch {out}.tried\nexit 75\n")
    os.chmod(script, 0o755)
    t.write_file("aliases", f"postmaster: {ME}\nonce: |{script}\n")
    t.params.update({"minimal_backoff_time": "3600s", "maximal_backoff_time": "3600s",
                     "default_privs": "nobody" if os.geteuid() == 0 else ME, **(overrides or {})})
    t.write_config()
    t.start()
    with smtplib.SMTP("127.0.0.1", t.port) as s:
        s.sendmail("s@example.org", ["once@local.test"], b"Subject: once\r\n\r\nretry me\r\n")
    wait_until(lambda: "status=deferred" in t.log(), what="the first attempt to defer")
    return t, out


def test_flush_never_signals_the_pid_in_the_pid_file(make_tern):
    t, out = deferred_once(make_tern)
    victim = subprocess.Popen(["sleep", "300"])
    try:
        with open(os.path.join(t.queue, "pid"), "w") as f:  # forged by whoever can write the queue
            f.write(f"{victim.pid}\n")
        r = t.run("queue", "flush", check=False)
        assert r.returncode == 0, r.stderr
        wait_until(lambda: os.path.exists(out) and "retry me" in open(out).read(), what="flush to deliver")
        with pytest.raises(subprocess.TimeoutExpired):
            victim.wait(timeout=1)  # a SIGUSR1 would have ended it at once
        assert t.run("queue", "list").stdout.startswith("Mail queue is empty")
    finally:
        victim.kill()
        victim.wait()


def test_release_asks_the_daemon_and_flush_without_daemon(make_tern):
    t, out = deferred_once(make_tern)
    qid = re.search(r"^([0-9A-F]{16})", t.run("queue", "list").stdout, re.M).group(1)
    t.run("queue", "hold", qid)
    t.run("queue", "release", qid)  # released mail is tried now, not in an hour
    wait_until(lambda: os.path.exists(out), what="released mail to be delivered")
    t.stop()
    r = t.run("queue", "flush", check=False)
    assert r.returncode == 75 and "not running" in r.stderr


def test_garbage_on_the_control_socket(make_tern):
    t = make_tern()
    path = os.path.join(t.queue, "public", "control")
    assert os.stat(path).st_mode & 0o077 == 0
    for junk in (b"", b"\x00" * 100, b"FLUSH\n", b"flush" * 40, b"flush\r\nflush\n\xff"):
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        s.sendall(junk)
        s.shutdown(socket.SHUT_WR)
        assert s.recv(100).startswith(b"ERR perm"), junk
        s.close()
    assert t.run("queue", "flush").returncode == 0
    with smtplib.SMTP("127.0.0.1", t.port) as s:
        s.sendmail("a@example.org", ["alice@virt.test"], b"Subject: still alive\r\n\r\nx\r\n")
    assert t.wait_for_mail("alice@virt.test")


def as_nobody(t, *args):
    return subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", TERN, "-c", t.config,
                           *args], capture_output=True, text=True, timeout=30)


@root_only
def test_ordinary_user_cannot_read_the_queue_or_control_the_daemon(make_tern):
    t, out = deferred_once(make_tern, {"mail_owner": "tern"})
    qid = re.search(r"^([0-9A-F]{16})", t.run("queue", "list").stdout, re.M).group(1)
    for args in (("queue", "show", qid), ("queue", "list"), ("queue", "delete", qid), ("queue", "release", qid)):
        r = as_nobody(t, *args)
        assert r.returncode == 77, (args, r.returncode, r.stderr)
        assert "permission denied" in r.stderr and "retry me" not in r.stdout
    r = as_nobody(t, "queue", "flush")
    assert r.returncode == 77 and "ermission denied" in r.stderr, r.stderr
    assert not os.path.exists(out)
    # Root still can, and the daemon (as mail_owner) retries.
    assert "retry me" in t.run("queue", "show", qid).stdout
    t.run("queue", "flush")
    wait_until(lambda: os.path.exists(out), what="root's flush to deliver")


def pid_in_file(t):
    try:
        with open(os.path.join(t.queue, "pid")) as f:
            return f.read().strip()
    except OSError:
        return None


@root_only
def test_root_start_never_writes_or_chowns_through_planted_links(make_tern, workdir):
    t = make_tern({"mail_owner": "tern"}, start=False)
    victims = {}
    for name in ("queue-hardlink", "queue-symlink", "pid-hardlink", "pid-symlink"):
        p = os.path.join(workdir, "victim-" + name)
        with open(p, "w") as f:
            f.write("precious\n")
        os.chmod(p, 0o600)
        victims[name] = p
    for d in ("active", "defer"):
        os.makedirs(os.path.join(t.queue, d), exist_ok=True)
    # What a compromised mail_owner could leave for the next root start.
    os.link(victims["pid-hardlink"], os.path.join(t.queue, "pid"))
    os.link(victims["queue-hardlink"], os.path.join(t.queue, "defer", "planted"))
    os.symlink(victims["queue-symlink"], os.path.join(t.queue, "defer", "link"))
    t.start()
    owner = pwd.getpwnam("tern").pw_uid
    wait_until(lambda: pid_in_file(t) == str(t.proc.pid), what="the pid file")
    for p in victims.values():
        assert os.stat(p).st_uid == 0, p
        with open(p) as f:
            assert f.read() == "precious\n", p
    assert os.stat(os.path.join(t.queue, "active")).st_uid == owner
    t.stop()
    # Second root start with a symlink planted at queue/pid: refused as a link, still starts.
    os.symlink(victims["pid-symlink"], os.path.join(t.queue, "pid"))
    t.start()
    assert os.path.islink(os.path.join(t.queue, "pid")) is False
    with open(victims["pid-symlink"]) as f:
        assert f.read() == "precious\n"
    assert os.stat(victims["pid-symlink"]).st_uid == 0


def test_forged_queue_file_is_quarantined(make_tern):
    t = make_tern()
    forged_id = "0000000000F0F0F0"
    with open(os.path.join(t.queue, "active", forged_id), "wb") as f:
        f.write(b"TERNQ1\nR" + b"\xff" * 64 + b"\nnot a queue file\n")
    assert t.run("queue", "flush").returncode == 0
    wait_until(lambda: os.path.exists(os.path.join(t.queue, "corrupt", forged_id)), what="quarantine")
    assert not os.path.exists(os.path.join(t.queue, "active", forged_id))
    assert forged_id in t.log()
    assert re.search(rf"^{forged_id}#", t.run("queue", "list").stdout, re.M)
    with smtplib.SMTP("127.0.0.1", t.port) as s:
        s.sendmail("a@example.org", ["alice@virt.test"], b"Subject: after the forgery\r\n\r\nx\r\n")
    assert t.wait_for_mail("alice@virt.test")
    assert t.proc.poll() is None
