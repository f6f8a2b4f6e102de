"""Local delivery for system users (the user running the tests): mbox in
mail_spool_directory, home_mailbox Maildir, and mailbox_command."""

import mailbox
import os
import smtplib

from conftest import ME, PRIVS, wait_until


def send(tern, rcpt, body=b"Subject: t\r\n\r\nFrom the start\r\n>From quoted\r\n", sender="s@example.org"):
    with smtplib.SMTP("127.0.0.1", tern.port) as s:
        s.sendmail(sender, [rcpt], body)


def test_mbox_delivery_and_from_quoting(tern):
    send(tern, f"{ME}@local.test")
    send(tern, f"{ME}@local.test", b"Subject: second\r\n\r\nx\r\n")
    wait_until(lambda: len(tern.mbox()) == 2, what="two mbox messages")
    box = {m["Subject"]: m for m in tern.mbox()}  # the two deliveries may run in either order
    first = box["t"]
    assert first.get_from().startswith("s@example.org ")
    assert first["Return-Path"] == "<s@example.org>"
    body = first.get_payload()
    assert ">From the start" in body and ">>From quoted" in body
    assert "second" in box


def test_mbox_symlink_is_refused(tern, workdir):
    target = os.path.join(workdir, "victim")
    with open(target, "w") as f:
        f.write("precious\n")
    os.symlink(target, os.path.join(tern.spool, ME))
    send(tern, f"{ME}@local.test")
    wait_until(lambda: "status=deferred" in tern.log(), what="deferral")
    assert open(target).read() == "precious\n"
    assert [f for f in tern.queue_files() if f.startswith("active/")]


def test_home_mailbox_maildir(make_tern, workdir):
    home = os.path.expanduser("~")
    # Deliver into a Maildir named relative to the home directory.
    name = "tern-test-Maildir-%d/" % os.getpid()
    t = make_tern({"home_mailbox": name})
    try:
        send(t, f"{ME}@local.test")
        path = os.path.join(home, name)
        wait_until(lambda: os.path.isdir(path + "new") and os.listdir(path + "new"), what="home Maildir")
        md = mailbox.Maildir(path, create=False)
        assert len(md) == 1
    finally:
        import shutil
        shutil.rmtree(os.path.join(home, name), ignore_errors=True)


def test_mailbox_command_exit_codes(make_tern, workdir):
    marker = os.path.join(workdir, "attempts")
    script = os.path.join(workdir, "deliver.sh")
    with open(script, "w") as f:
        f.write(f"#!/bin/sh\necho x >> {marker}\nn=$(wc -l < {marker})\n"
                f"if [ $n -lt 2 ]; then exit 75; fi\ncat > {workdir}/delivered\nexit 0\n")
    os.chmod(script, 0o755)
    t = make_tern({"mailbox_command": script, "default_privs": PRIVS})
    send(t, f"{ME}@local.test")
    wait_until(lambda: os.path.exists(os.path.join(workdir, "delivered")), timeout=15, what="retry after exit 75")
    assert "status=deferred" in t.log()
    assert open(marker).read().count("x") == 2
    t.wait_queue_empty()


def test_mailbox_command_permanent_failure(make_tern, workdir):
    script = os.path.join(workdir, "nouser.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\ncat >/dev/null\nexit 67\n")
    os.chmod(script, 0o755)
    t = make_tern({"mailbox_command": script, "default_privs": PRIVS})
    send(t, f"{ME}@local.test", sender="")  # from <>: a bounce to a remote sender would stay queued (no remote delivery here)
    wait_until(lambda: "status=bounced" in t.log(), what="bounce")
    assert "dsn=5.1.1" in t.log()
    t.wait_queue_empty()


def test_mailbox_size_limit_bounces_5_2_2(make_tern):
    """mailbox_size_limit (Postfix semantics): the delivery that would make
    the mbox larger fails permanently with 5.2.2 (status=bounced, crossed
    off; sent from <> here, so no DSN) and leaves the mailbox as it was."""
    t = make_tern({"mailbox_size_limit": "2000"})
    send(t, f"{ME}@local.test", b"Subject: fits\r\n\r\nsmall\r\n")
    wait_until(lambda: len(t.mbox()) == 1, what="the first message")
    size = os.path.getsize(os.path.join(t.spool, ME))
    send(t, f"{ME}@local.test", b"Subject: too big\r\n\r\n" + b"x" * 3000 + b"\r\n", sender="")
    wait_until(lambda: "dsn=5.2.2, status=bounced" in t.log(), what="the 5.2.2 bounce")
    t.wait_queue_empty()
    assert [m["Subject"] for m in t.mbox()] == ["fits"]
    assert os.path.getsize(os.path.join(t.spool, ME)) == size
