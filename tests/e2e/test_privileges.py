"""Privilege separation (RELIABILITY.md #56, #57): started as root with a
mail_owner, the process that reads the network runs as that user with no
capabilities; deliveries to system users go through the root-owned local
delivery process; an ordinary user's sendmail needs no queue write access."""

import os
import pwd
import smtplib
import subprocess

import pytest

from conftest import ME, TERN, wait_until

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to test the privilege drop")


def status_fields(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.split()
    return fields


def test_network_process_runs_as_mail_owner(make_tern):
    owner = pwd.getpwnam("tern")
    t = make_tern({"mail_owner": "tern"})
    st = status_fields(t.proc.pid)
    assert int(st["Uid"][1]) == owner.pw_uid  # effective uid
    assert int(st["Uid"][2]) == owner.pw_uid  # saved uid: root cannot be regained
    assert int(st["CapEff"][0], 16) == 0
    assert os.stat(os.path.join(t.queue, "active")).st_uid == owner.pw_uid
    children = subprocess.run(["pgrep", "-P", str(t.proc.pid)], capture_output=True, text=True).stdout.split()
    assert len(children) == 1
    assert int(status_fields(children[0])["Uid"][1]) == 0  # the local delivery process

    with smtplib.SMTP("127.0.0.1", t.port) as s:
        s.sendmail("a@example.org", ["alice@virt.test", f"{ME}@local.test"], b"Subject: priv\r\n\r\nx\r\n")
    assert t.wait_for_mail("alice@virt.test")
    wait_until(lambda: t.mbox(), what="system user's mbox delivery")
    mbox_path = os.path.join(t.spool, ME)
    assert os.stat(mbox_path).st_uid == pwd.getpwnam(ME).pw_uid


def test_ordinary_user_submits_without_queue_access(make_tern):
    t = make_tern({"mail_owner": "tern"})
    os.chmod(t.base, 0o755)
    r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", TERN, "-c", t.config,
                        "sendmail", "-i", "alice@virt.test"], input=b"Subject: from nobody\n\nhi\n",
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    m = t.wait_for_mail("alice@virt.test")[0]
    assert m["Subject"] == "from nobody"
    assert "from userid %d" % pwd.getpwnam("nobody").pw_uid in m["Received"]
    # The queue itself stays closed to that user.
    r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "ls",
                        os.path.join(t.queue, "active")], capture_output=True)
    assert r.returncode != 0


def test_garbage_on_the_submission_socket(make_tern):
    import socket
    t = make_tern({"mail_owner": "tern"})
    for junk in (b"", b"\x00" * 100, b"TERNQ1\n" + b"\xff" * 40):
        s = socket.socket(socket.AF_UNIX)
        s.connect(os.path.join(t.queue, "public", "submit"))
        s.sendall(junk)
        s.shutdown(socket.SHUT_WR)
        assert s.recv(100).startswith(b"ERR perm")
        s.close()
    with smtplib.SMTP("127.0.0.1", t.port) as s:
        s.sendmail("a@example.org", ["alice@virt.test"], b"Subject: still alive\r\n\r\nx\r\n")
    assert t.wait_for_mail("alice@virt.test")
