"""An fsync error is final for that message (RELIABILITY.md #1, #32): the
client gets 451 4.3.0, no queue file or mailbox file is left behind, and
once the disk behaves again mail flows without a restart. The failure is
injected with an LD_PRELOAD shim (shims/failfsync.c) built by the test."""

import os
import shutil
import smtplib
import subprocess

import pytest

from conftest import RawSMTP, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture
def shim(workdir):
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler for the fsync shim")
    out = os.path.join(workdir, "failfsync.so")
    subprocess.run([cc, "-shared", "-fPIC", "-O1", "-o", out, os.path.join(HERE, "shims", "failfsync.c"), "-ldl"],
                   check=True)
    return out


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
