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

from conftest import ME, RawSMTP, wait_until

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                                reason="needs root and unshare for a private tmpfs")


@pytest.mark.parametrize("params", [
    {"message_size_limit": "2m"},  # 2 MB free < 1.5 x 2 MB
    {"message_size_limit": "1m", "queue_minfree": "3m"},  # 1.5 x 1 MB fits, queue_minfree does not
])
def test_queue_without_room_refuses_mail_452(make_tern, params):
    t = make_tern(params, start=False)
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


def in_namespace(t, *argv, check=True):
    """Runs argv inside tern's private mount namespace."""
    return subprocess.run(["nsenter", "-t", str(t.proc.pid), "-m", *argv], capture_output=True, text=True,
                          check=check)


FILL_INODES = """
import os, sys
d = sys.argv[1]
os.mkdir(d)
i = 0
while True:
    try:
        open(os.path.join(d, str(i)), "w").close()
    except OSError:
        break
    i += 1
print(i)
"""


def test_queue_without_inodes_refuses_mail_then_recovers(make_tern):
    """RELIABILITY.md #34: free blocks but no free inodes in the queue file
    system -> 452 4.3.1 at MAIL; no crash; mail flows again once inodes are
    freed, without a restart."""
    t = make_tern(start=False)
    os.makedirs(t.queue, exist_ok=True)
    t.start(wrapper=f"mount -t tmpfs -o size=20m,nr_inodes=400 tmpfs {t.queue}")
    filler = os.path.join(t.queue, "filler")
    made = int(in_namespace(t, "/usr/bin/python3", "-c", FILL_INODES, filler).stdout)
    assert made > 0
    c = RawSMTP(t.port)
    assert c.reply()[0] == 220
    c.cmd("EHLO x")
    code, text = c.cmd("MAIL FROM:<a@example.org>")
    assert (code, text[4:9]) == (452, "4.3.1"), text
    assert "inodes free" in t.log()
    # Free the inodes: the same connection's next MAIL is accepted, and a
    # message through the queue (a system user's mbox) is delivered once.
    in_namespace(t, "rm", "-rf", filler)
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
    assert c.cmd(f"RCPT TO:<{ME}@local.test>")[0] == 250
    assert c.cmd("DATA")[0] == 354
    assert c.cmd("Subject: after\r\n\r\nx\r\n.")[0] == 250
    wait_until(lambda: len(t.mbox()) == 1, what="delivery once inodes are back")
    assert t.proc.poll() is None
    assert [m["Subject"] for m in t.mbox()] == ["after"]


def ns_listdir(t, path):
    """os.listdir as tern sees it (inside its mount namespace)."""
    return in_namespace(t, "ls", "-A", path).stdout.split()


def ns_mbox_subjects(t, user=ME):
    """Subjects in the user's mbox as tern sees it, parsed by Python's mailbox."""
    import mailbox
    import tempfile
    raw = subprocess.run(["nsenter", "-t", str(t.proc.pid), "-m", "sh", "-c",
                          f"cat {os.path.join(t.spool, user)} 2>/dev/null; true"],
                         capture_output=True, check=True).stdout
    with tempfile.NamedTemporaryFile(suffix=".mbox") as f:
        f.write(raw)
        f.flush()
        return [m["Subject"] for m in mailbox.mbox(f.name, create=False)]


def test_disk_filling_mid_data_451_then_earlier_mail_delivered(make_tern):
    """RELIABILITY.md #33: the queue file system fills up during DATA ->
    451 4.3.0 and the partial queue file is gone; mail accepted earlier,
    stuck because its mailbox file system was full too, is delivered
    exactly once when space is freed, without a restart."""
    t = make_tern({"message_size_limit": "3m"}, start=False)
    os.makedirs(t.queue, exist_ok=True)
    spool_filler, queue_filler = os.path.join(t.spool, "filler"), os.path.join(t.queue, "filler")
    t.start(wrapper=f"mount -t tmpfs -o size=8m tmpfs {t.queue} && mount -t tmpfs -o size=1m tmpfs {t.spool} && "
                    f"(dd if=/dev/zero of={spool_filler} bs=64k count=32 2>/dev/null; true)")
    rcpt = f"{ME}@local.test"
    with smtplib.SMTP("127.0.0.1", t.port) as s:
        s.sendmail("a@example.org", [rcpt], b"Subject: earlier\r\n\r\nwaits for room\r\n")
    wait_until(lambda: "status=deferred" in t.log(), what="the earlier mail deferred (mailbox disk full)")
    # A message bigger than the in-memory limit streams into queue/tmp.
    c = RawSMTP.at_data(t.port, rcpt=rcpt)
    c.send(b"Subject: too much\r\n\r\n" + (b"y" * 998 + b"\r\n") * 1200)
    tmp = os.path.join(t.queue, "tmp")
    wait_until(lambda: ns_listdir(t, tmp), what="the partial queue file")
    in_namespace(t, "sh", "-c", f"dd if=/dev/zero of={queue_filler} bs=64k 2>/dev/null; true")
    c.send((b"y" * 998 + b"\r\n") * 1500 + b".\r\n")
    code, text = c.reply()
    assert (code, text[4:9]) == (451, "4.3.0"), text
    assert ns_listdir(t, tmp) == []
    assert ns_mbox_subjects(t) == []
    # Space returns on both file systems: the earlier mail arrives once.
    in_namespace(t, "rm", "-f", queue_filler, spool_filler)
    wait_until(lambda: ns_mbox_subjects(t) == ["earlier"], timeout=15, what="the earlier mail delivered")
    wait_until(lambda: ns_listdir(t, os.path.join(t.queue, "active")) == [], what="the queue to drain")
    assert ns_mbox_subjects(t) == ["earlier"]
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
