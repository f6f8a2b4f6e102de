"""An fsync error is final for that message (RELIABILITY.md #1, #32): the
client gets 451 4.3.0, no queue file or mailbox file is left behind, and
once the disk behaves again mail flows without a restart. The failure is
injected with an LD_PRELOAD shim (shims/failfsync.c) built by the test."""

import os
import smtplib

import pytest

from conftest import ME, RawSMTP, build_shim, wait_until


@pytest.fixture
def shim(workdir):
    return build_shim(workdir, "failfsync")


def test_fsync_eio_answers_451_and_leaves_nothing(make_tern, workdir, shim):
    flag = os.path.join(workdir, "fail-now")
    t = make_tern(start=False)
    t.start(env={"LD_PRELOAD": shim, "TERN_FAIL_FSYNC_FLAG": flag, "TERN_FAIL_FSYNC_PREFIX": t.base})
    open(flag, "w").close()
    c = RawSMTP.at_data(t.port)
    code, text = c.cmd("Subject: doomed\r\n\r\nx\r\n.")
    assert (code, text[4:9]) == (451, "4.3.0"), text
    assert [f for f in t.queue_files() if f.startswith(("tmp/", "active/"))] == []
    assert t.maildir("alice@virt.test") == []
    md = t.maildir_path("alice@virt.test")
    assert not os.path.isdir(os.path.join(md, "new")) or os.listdir(os.path.join(md, "new")) == []
    # The disk recovers: the next message is accepted and delivered once.
    os.unlink(flag)
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
    c.cmd("RCPT TO:<alice@virt.test>")
    c.cmd("DATA")
    assert c.cmd("Subject: fine\r\n\r\nx\r\n.")[0] == 250
    msgs = t.wait_for_mail("alice@virt.test")
    assert [m["Subject"] for m in msgs] == ["fine"]


def shim_env(shim, flag, prefix, **extra):
    env = {"LD_PRELOAD": shim, "TERN_FAIL_FSYNC_FLAG": flag, "TERN_FAIL_FSYNC_PREFIX": prefix}
    env.update(extra)
    return env


def test_queue_dir_fsync_failure_is_never_a_250(make_tern, workdir, shim):
    """Issue 7 item 2 ("fsyncgate"): message B is renamed into active/
    while the fsync of active/ for message A is running; that fsync fails
    and the next one (run for B) succeeds. B's entry may be lost with the
    failed writeback, so B too must get 451 4.3.0, never 250."""
    flag, gate = os.path.join(workdir, "fail-now"), os.path.join(workdir, "gate")
    t = make_tern(start=False)
    t.start(env=shim_env(shim, flag, os.path.join(t.queue, "active"), TERN_FAIL_FSYNC_DIRS="1",
                         TERN_FAIL_FSYNC_ONCE="1", TERN_FAIL_FSYNC_GATE=gate))
    active = os.path.join(t.queue, "active")
    open(flag, "w").close()
    rcpt = f"{ME}@local.test"  # a system user's mbox: always through the queue
    a = RawSMTP.at_data(t.port, rcpt=rcpt)
    a.send("Subject: A\r\n\r\na\r\n.\r\n")
    wait_until(lambda: os.path.exists(gate + ".entered"), what="the fsync of active/ for A")
    b = RawSMTP.at_data(t.port, rcpt=rcpt)
    b.send("Subject: B\r\n\r\nb\r\n.\r\n")
    wait_until(lambda: len(os.listdir(active)) == 2, what="B renamed into active/ during A's fsync")
    open(gate, "w").close()  # A's fsync fails now
    for c in (a, b):
        code, text = c.reply()
        assert (code, text[4:9]) == (451, "4.3.0"), text
    assert os.listdir(active) == []
    # The directory is not failed for ever: new mail is accepted and
    # delivered exactly once.
    assert a.cmd("MAIL FROM:<a@example.org>")[0] == 250
    assert a.cmd(f"RCPT TO:<{rcpt}>")[0] == 250
    assert a.cmd("DATA")[0] == 354
    assert a.cmd("Subject: C\r\n\r\nc\r\n.")[0] == 250
    wait_until(lambda: len(t.mbox()) == 1, what="C delivered")
    t.wait_queue_empty()
    assert [m["Subject"] for m in t.mbox()] == ["C"]


def test_maildir_new_fsync_failure_delivers_one_copy(make_tern, workdir, shim):
    """Issue 7 item 3: the fsync of new/ fails once; the delivery is taken
    back and deferred, and the retry leaves exactly one copy."""
    flag = os.path.join(workdir, "fail-now")
    t = make_tern(start=False)
    new = os.path.join(t.maildir_path("alice@virt.test"), "new")
    t.start(env=shim_env(shim, flag, new, TERN_FAIL_FSYNC_DIRS="1", TERN_FAIL_FSYNC_ONCE="1"))
    open(flag, "w").close()
    with smtplib.SMTP("127.0.0.1", t.port) as s:
        s.sendmail("a@example.org", ["alice@virt.test"], b"Subject: once\r\n\r\nx\r\n")
    wait_until(lambda: not os.path.exists(flag), what="the failed fsync of new/")
    wait_until(lambda: "status=sent" in t.log(), timeout=15, what="the retry")
    t.wait_queue_empty()
    assert "status=deferred" in t.log()
    assert [m["Subject"] for m in t.maildir("alice@virt.test")] == ["once"]
