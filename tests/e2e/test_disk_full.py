"""Full disks (RELIABILITY.md #33, #35): tern refuses new mail while the
queue file system lacks room for a maximal message, and a mailbox file
system that fills up defers delivery, keeps the message queued, and
delivers it once space returns. Each case runs tern in a private mount
namespace with a small tmpfs, so nothing on the machine is touched."""

import os
import shutil
import smtplib
import subprocess

import pytest

from conftest import RawSMTP, wait_until

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                                reason="needs root and unshare for a private tmpfs")


def test_queue_without_room_refuses_mail_452(make_tern):
    t = make_tern({"message_size_limit": "2m"}, start=False)
    os.makedirs(t.queue, exist_ok=True)
    t.start(wrapper=f"mount -t tmpfs -o size=2m tmpfs {t.queue}")
    c = RawSMTP(t.port)
    c.reply()
    c.cmd("EHLO x")
    code, text = c.cmd("MAIL FROM:<a@example.org>")
    assert (code, text[4:9]) == (452, "4.3.1"), text
    assert "Insufficient system storage" in text
    assert c.cmd("QUIT")[0] == 221


def test_full_mailbox_disk_defers_then_delivers(make_tern):
    t = make_tern({"minimal_backoff_time": "1s", "maximal_backoff_time": "1s"}, start=False)
    os.makedirs(t.vmail, exist_ok=True)
    filler = os.path.join(t.vmail, "filler")
    t.start(wrapper=f"mount -t tmpfs -o size=1m tmpfs {t.vmail} && "
                    f"mkdir -p {t.vmail}/virt.test && dd if=/dev/zero of={filler} bs=64k count=16 2>/dev/null; true")
    with smtplib.SMTP("127.0.0.1", t.port) as s:
        s.sendmail("a@example.org", ["alice@virt.test"], b"Subject: waits for room\r\n\r\n" + b"x" * 20000 + b"\r\n")
    wait_until(lambda: "status=deferred" in t.log(), what="a deferral for lack of space")
    assert [f for f in t.queue_files() if f.startswith("active/")]
    # Make room from inside tern's mount namespace; the retry delivers.
    subprocess.run(["nsenter", "-t", str(t.proc.pid), "-m", "rm", "-f", filler], check=True)
    wait_until(lambda: "status=sent" in t.log(), timeout=15, what="delivery after space returned")
    t.wait_queue_empty()
    out = subprocess.run(["nsenter", "-t", str(t.proc.pid), "-m", "sh", "-c",
                          f"ls {t.vmail}/virt.test/alice/new | wc -l; ls {t.vmail}/virt.test/alice/tmp | wc -l"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["1", "0"]
