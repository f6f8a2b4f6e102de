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
    acked = []
    for round_ in range(4):  # four kills at different points of the stream
        stop = threading.Event()
        threads = [threading.Thread(target=client, args=(t.port, 60, f"r{round_}c{k}", acked, stop))
                   for k in range(6)]
        for th in threads:
            th.start()
        target = len(acked) + 25 + 10 * round_
        wait_until(lambda: len(acked) >= target, timeout=30, what="some acknowledged messages")
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
    # Every acknowledged message arrived; nothing arrived that was not sent.
    assert all(counts[mid] >= 1 for mid, _ in acked)
    # A duplicate is allowed only for a message whose delivery the kill
    # interrupted: at most one per delivery worker, and never three copies.
    dups = [mid for mid, n in counts.items() if n > 1]
    assert all(counts[mid] == 2 for mid in dups), counts
    assert len(dups) <= int(t.params.get("delivery_concurrency_limit", 8))
    assert not [f for f in t.queue_files() if f.startswith("tmp/")]


def test_kill_minus_9_mid_data_leaves_nothing(make_tern):
    from conftest import RawSMTP
    # Drafts stay in memory up to 1 MiB; a bigger message spills to queue/tmp.
    t = make_tern({"message_size_limit": "10m"})
    c = RawSMTP.at_data(t.port)
    c.send(b"Subject: partial\r\n\r\n" + (b"x" * 998 + b"\r\n") * 2000)
    wait_until(lambda: [f for f in t.queue_files() if f.startswith("tmp/")], what="the partial queue file")
    t.kill9()
    t.start()
    assert not [f for f in t.queue_files() if f.startswith(("tmp/", "active/"))]
    assert "partial queue file" in t.log()
    assert t.maildir("alice@virt.test") == []
