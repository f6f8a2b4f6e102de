"""Many deliveries at once into one mailbox (RELIABILITY.md #55): 200
SMTP clients released together, to the local user's mbox and to one
virtual user's Maildir. Every acknowledged message is there exactly once,
complete and not interleaved with another; the mbox parses with Python's
mailbox.mbox and the Maildir has nothing left in tmp/."""

import collections
import mailbox
import os
import re
import smtplib
import threading

from conftest import ME, wait_until

N = 200


def body_for(i):
    # Sizes from a few bytes to ~40 KB, with lines an mbox must quote.
    lines = [f"message {i} line {k} " + "x" * (i % 7) * 10 for k in range(1 + (i * 37) % 600)]
    lines.insert(len(lines) // 2, f"From the middle of message {i}")
    return lines


def message(i):
    head = f"X-Id: m{i}\r\nSubject: concurrent {i}\r\nFrom: c{i}@example.org\r\n\r\n"
    return (head + "\r\n".join(body_for(i)) + f"\r\nend of m{i}\r\n").encode()


def blast(port, rcpt):
    """N clients, each with its own connection, all sending DATA at once.
    Returns the ids that got 250."""
    barrier = threading.Barrier(N)
    acked, errors = [], []
    lock = threading.Lock()

    def client(i):
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
                s.ehlo(f"c{i}.example")
                s.mail(f"c{i}@example.org")
                code, _ = s.rcpt(rcpt)
                assert code == 250
                barrier.wait(timeout=30)
                code, resp = s.data(message(i))
                with lock:
                    (acked if code == 250 else errors).append(f"m{i}" if code == 250 else (i, code, resp))
        except Exception as e:  # reported below
            barrier.abort()
            with lock:
                errors.append((i, repr(e)))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(N)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert not errors, errors[:5]
    assert len(acked) == N
    return acked


def check_message(m):
    mid = m["X-Id"]
    i = int(mid[1:])
    assert m["Subject"] == f"concurrent {i}", mid
    payload = m.get_payload()
    expected = body_for(i)
    got = payload.split("\n")
    # Exactly this message's lines (mbox writers quote "From " as ">From ").
    got_lines = [line[1:] if line.startswith(">From ") else line for line in got]
    assert got_lines[:len(expected)] == expected, mid
    assert got_lines[len(expected)] == f"end of {mid}", mid
    assert all(line == "" for line in got_lines[len(expected) + 1:]), mid
    assert not any(re.match(r"^(X-Id|Subject|Return-Path|Received): ", line) for line in got), mid


def test_200_concurrent_deliveries_to_one_mbox(make_tern):
    t = make_tern()  # delivery_concurrency_limit 8: eight deliverers contend for the lock
    acked = blast(t.port, f"{ME}@local.test")
    path = os.path.join(t.spool, ME)
    wait_until(lambda: len(t.mbox()) >= N, timeout=60, what=f"{N} messages in the mbox")
    t.wait_queue_empty(timeout=30)
    box = mailbox.mbox(path, create=False)
    msgs = list(box)
    ids = collections.Counter(m["X-Id"] for m in msgs)
    assert len(msgs) == N, len(msgs)
    assert set(ids) == set(acked) and max(ids.values()) == 1
    for m in msgs:
        assert m.get_from().split()[0] == f"c{m['X-Id'][1:]}@example.org"  # the envelope sender
        check_message(m)
    # Separator lines: one "From " line per message, each preceded by an empty line.
    with open(path, "rb") as f:
        raw = f.read()
    starts = [m.start() for m in re.finditer(rb"^From ", raw, re.M)]
    assert len(starts) == N
    assert all(raw[s - 2:s] == b"\n\n" for s in starts[1:])
    assert raw.endswith(b"\n\n")


def test_200_concurrent_deliveries_to_one_maildir(make_tern):
    t = make_tern()  # delivery_concurrency_limit 8: eight deliverers contend for the lock
    acked = blast(t.port, "alice@virt.test")
    t.wait_for_mail("alice@virt.test", N, timeout=60)
    t.wait_queue_empty(timeout=30)
    msgs = t.maildir("alice@virt.test")
    ids = collections.Counter(m["X-Id"] for m in msgs)
    assert len(msgs) == N
    assert set(ids) == set(acked) and max(ids.values()) == 1
    for m in msgs:
        check_message(m)
    root = t.maildir_path("alice@virt.test")
    assert os.listdir(os.path.join(root, "tmp")) == []
    names = os.listdir(os.path.join(root, "new"))
    assert len(names) == len(set(names)) == N
    for name in names:
        size = re.search(r",S=(\d+)", name)
        if size:
            assert int(size.group(1)) == os.path.getsize(os.path.join(root, "new", name)), name
