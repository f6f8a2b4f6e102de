"""Out of file descriptors (RELIABILITY.md #27): with a low RLIMIT_NOFILE and
more clients than descriptors, tern does not spin in its accept loop, logs a
warning, and serves normally once the clients leave."""

import os
import resource
import smtplib
import socket
import time

from conftest import wait_until


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_emfile_backs_off_and_recovers(make_tern):
    t = make_tern(start=False)
    t.start(preexec=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64)))
    held = []
    for _ in range(120):
        try:
            held.append(socket.create_connection(("127.0.0.1", t.port), timeout=2))
        except OSError:
            break
    wait_until(lambda: "accept:" in t.log(), what="the EMFILE warning")
    before = cpu_seconds(t.proc.pid)
    time.sleep(1.0)  # measuring CPU use over an interval, not waiting for a condition
    assert cpu_seconds(t.proc.pid) - before < 0.2, "accept loop is spinning"
    for s in held:
        s.close()
    def delivers():
        try:
            with smtplib.SMTP("127.0.0.1", t.port, timeout=5) as s:
                s.sendmail("a@example.org", ["alice@virt.test"], b"Subject: after\r\n\r\nx\r\n")
            return True
        except (OSError, smtplib.SMTPException):
            return False
    wait_until(delivers, timeout=15, what="service after the clients left")
    assert t.wait_for_mail("alice@virt.test")


def test_low_descriptor_limit_lowers_imap_threads_and_serves(make_tern):
    """Each IMAP loop holds three descriptors: with a limit of 256, asking
    for 100 loops (300 descriptors) gets a warning and 5 loops (a sixteenth
    of the limit), not a daemon that dies at start; IMAP then works."""
    import imaplib
    from conftest import free_port
    port = free_port()
    t = make_tern({"imap_listen": f"127.0.0.1:{port}", "imap_threads": "100"}, start=False)
    t.start(preexec=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256)))
    assert "imap_threads = 100 lowered to 5: the open file limit is 256" in t.log()
    def names():
        return [open(f"/proc/{t.proc.pid}/task/{task}/comm").read().strip()
                for task in os.listdir(f"/proc/{t.proc.pid}/task")]
    # Each loop names its thread once it runs, which may be after the banner.
    wait_until(lambda: names().count("tern-imap") >= 5, what="the IMAP loops' threads")
    assert names().count("tern-imap") == 5, names()
    c = imaplib.IMAP4("127.0.0.1", port, timeout=30)
    c.login("alice@virt.test", "secret")
    assert c.select("INBOX")[0] == "OK"
    c.logout()
