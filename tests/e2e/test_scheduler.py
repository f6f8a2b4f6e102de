"""The scheduler: a recipient with several targets is delivered to each
target once however often another target defers (per-target cross-off, in
the queue and at acceptance), queue_run_delay drives the retries,
maximal_queue_lifetime returns expired mail, delivery_concurrency_limit
caps deliveries at acceptance too, and SIGTERM under load (deliveries,
commits and retries in flight) exits within shutdown_timeout with every
acknowledged message delivered once after the restart."""

import os
import re
import signal
import smtplib
import threading
import time

import pytest

from conftest import PRIVS, RawSMTP, server_has_read, wait_until


def send(t, rcpts, body=b"Subject: t\r\n\r\nhello\r\n", sender="s@example.org"):
    with smtplib.SMTP("127.0.0.1", t.port, timeout=10) as s:
        return s.sendmail(sender, rcpts, body)


def counting_command(workdir, name, gate=True):
    """A command that appends a line to workdir/NAME.runs each time it runs,
    defers (exit 75) until workdir/open exists, then stores the message in
    workdir/NAME.out/. With gate=False it sleeps until workdir/open exists
    instead of deferring (a slow delivery), or until workdir/abort exists:
    then it notes that in NAME.aborted and defers."""
    out = os.path.join(workdir, name + ".out")
    os.makedirs(out, exist_ok=True)
    os.chmod(out, 0o777)
    script = os.path.join(workdir, name + ".sh")
    wait = "exit 75" if gate else f"[ -e {workdir}/abort ] && echo >> {workdir}/{name}.aborted && exit 75; sleep 0.05"
    with open(script, "w") as f:
        f.write(f"#!/bin/sh\necho run >> {workdir}/{name}.runs\n"
                f"while [ ! -e {workdir}/open ]; do {wait}; done\n"
                f"cat > {out}/m.$$.tmp && mv {out}/m.$$.tmp {out}/m.$$\n")
    os.chmod(script, 0o755)
    return script, out


def with_aliases(make_tern, aliases, **overrides):
    """A started tern whose aliases file is `aliases`; commands run as PRIVS."""
    t = make_tern(start=False, overrides={"default_privs": PRIVS, **overrides})
    t.write_file("aliases", aliases)
    return t.start()


def runs(workdir, name):
    try:
        with open(os.path.join(workdir, name + ".runs")) as f:
            return len(f.readlines())
    except FileNotFoundError:
        return 0


def stored(out):
    return [n for n in os.listdir(out) if not n.endswith(".tmp")]


def defer_maildir(t, address):
    """Gives the account a Maildir whose new/ is a symlink: its deliveries
    defer (case 52) until repair_maildir."""
    path = t.maildir_path(address)
    for d in ("cur", "tmp", "elsewhere"):
        os.makedirs(os.path.join(path, d))
    os.symlink("elsewhere", os.path.join(path, "new"))


def repair_maildir(t, address):
    """Makes new/ a directory, flushes the queue and waits for the mail and
    for the queue to drain."""
    path = t.maildir_path(address)
    os.unlink(os.path.join(path, "new"))
    os.makedirs(os.path.join(path, "new"))
    t.run("queue", "flush")
    t.wait_for_mail(address)
    t.wait_queue_empty()


def x_ids(messages):
    return [m["X-Id"] for m in messages]


# --- item 4: per-target cross-off -----------------------------------------------

def test_alias_with_a_deferring_command_delivers_the_mailbox_once(make_tern, workdir):
    script, out = counting_command(workdir, "cmd")
    t = with_aliases(make_tern, f"a: bob@virt.test, |{script}\n")
    send(t, ["a@local.test"], b"X-Id: one\r\nSubject: to the alias\r\n\r\nbody\r\n")
    # Four queue runs: bob's copy must not be repeated by any of them.
    wait_until(lambda: runs(workdir, "cmd") >= 4, timeout=20, what="four attempts of the deferring command")
    assert x_ids(t.maildir("bob@virt.test")) == ["one"]
    # The record of bob's delivery survives a restart.
    t.stop()
    t.start()
    wait_until(lambda: runs(workdir, "cmd") >= 6, timeout=20, what="two more attempts after the restart")
    assert x_ids(t.maildir("bob@virt.test")) == ["one"]
    # Once the command succeeds, the recipient is done and the file goes.
    open(os.path.join(workdir, "open"), "w").close()
    wait_until(lambda: len(stored(out)) == 1, timeout=15, what="the command delivery")
    t.wait_queue_empty()
    assert x_ids(t.maildir("bob@virt.test")) == ["one"]
    assert len(stored(out)) == 1
    assert re.search(r"to=<bob@virt.test>, orig_to=<a@local.test>.*status=sent", t.log())


def test_killed_during_the_second_target_redelivers_only_that_target(make_tern, workdir):
    script, out = counting_command(workdir, "slow", gate=False)
    t = with_aliases(make_tern, f"a: bob@virt.test, |{script}\n")
    send(t, ["a@local.test"], b"X-Id: two\r\nSubject: slow\r\n\r\nbody\r\n")
    wait_until(lambda: runs(workdir, "slow") >= 1, what="the slow command to start")
    assert x_ids(t.maildir("bob@virt.test")) == ["two"]
    t.kill9()
    # kill -9 of the daemon leaves its command running: end it unstored.
    open(os.path.join(workdir, "abort"), "w").close()
    wait_until(lambda: os.path.exists(os.path.join(workdir, "slow.aborted")), what="the orphaned command to end")
    os.unlink(os.path.join(workdir, "abort"))
    open(os.path.join(workdir, "open"), "w").close()
    t.start()
    wait_until(lambda: len(stored(out)) == 1, timeout=15, what="the command delivery after the restart")
    t.wait_queue_empty()
    assert x_ids(t.maildir("bob@virt.test")) == ["two"]  # recorded before the command ran
    assert runs(workdir, "slow") == 2  # the killed command delivery, and only it, again


def test_partly_delivered_at_acceptance_is_not_repeated(make_tern):
    t = make_tern(start=False)
    t.write_file("aliases", "both: alice@virt.test, bob@virt.test\n")
    defer_maildir(t, "bob@virt.test")
    t.start()
    send(t, ["both@local.test"], b"X-Id: three\r\nSubject: half\r\n\r\nbody\r\n")
    wait_until(lambda: t.log().count("to=<bob@virt.test>") >= 4, timeout=20, what="bob's deliveries to defer 4 times")
    assert x_ids(t.maildir("alice@virt.test")) == ["three"]
    repair_maildir(t, "bob@virt.test")
    assert x_ids(t.maildir("alice@virt.test")) == ["three"]
    assert x_ids(t.maildir("bob@virt.test")) == ["three"]


# --- item 8: queue_run_delay and maximal_queue_lifetime -----------------------------

def test_queue_run_delay_paces_retries(make_tern, workdir):
    script, out = counting_command(workdir, "cmd")
    t = with_aliases(make_tern, f"a: |{script}\n", queue_run_delay="1h")
    send(t, ["a@local.test"], b"X-Id: paced\r\n\r\nbody\r\n")
    wait_until(lambda: runs(workdir, "cmd") >= 1, what="the first attempt")
    # minimal_backoff_time is 1s, but the deferred queue is scanned once an
    # hour: no retry happens on its own (the old retry thread retried in 1s).
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:
        assert runs(workdir, "cmd") == 1, "retried before the next queue scan"
        time.sleep(0.1)
    # A flush scans at once.
    t.run("queue", "flush")
    wait_until(lambda: runs(workdir, "cmd") >= 2, what="the retry after a flush")


def test_expired_message_is_returned_not_held(make_tern, workdir):
    """maximal_queue_lifetime 0: a single attempt, then the message is
    returned (test_bounces.py checks the report) instead of put on hold."""
    script, out = counting_command(workdir, "cmd")
    t = with_aliases(make_tern, f"a: |{script}\n", maximal_queue_lifetime="0", bounce_queue_lifetime="0")
    send(t, ["a@local.test"], b"X-Id: old\r\n\r\nbody\r\n", sender="")
    wait_until(lambda: "status=expired" in t.log(), what="the expiry")
    t.wait_queue_empty()
    log = t.log()
    assert re.search(r"to=<a@local.test>.*dsn=4\.4\.7, status=expired, returned to sender", log), log
    assert not os.listdir(os.path.join(t.queue, "hold"))
    assert runs(workdir, "cmd") == 1  # tried once (0 = a single attempt, as in Postfix)


# --- delivery_concurrency_limit counts deliveries at acceptance -------------------

def test_concurrency_limit_caps_delivery_at_acceptance(make_tern, workdir):
    script, out = counting_command(workdir, "slow", gate=False)
    t = with_aliases(make_tern, f"slow: |{script}\n", delivery_concurrency_limit="1")
    send(t, ["slow@local.test"], b"X-Id: slow\r\n\r\nbody\r\n")
    wait_until(lambda: runs(workdir, "slow") >= 1, what="the slow command to start")
    # The only slot is taken: this message is queued, not delivered at acceptance.
    send(t, ["alice@virt.test"], b"X-Id: waits\r\n\r\nbody\r\n")
    assert len(os.listdir(os.path.join(t.queue, "active"))) == 2
    assert t.maildir("alice@virt.test") == []
    open(os.path.join(workdir, "open"), "w").close()
    assert x_ids(t.wait_for_mail("alice@virt.test")) == ["waits"]
    t.wait_queue_empty()
    assert len(stored(out)) == 1


# --- item 13: shutdown under load -----------------------------------------------

def test_sigterm_under_load_exits_in_time_and_loses_nothing(make_tern, workdir):
    timeout_s = 4
    slow, slow_out = counting_command(workdir, "slow", gate=False)
    retry, retry_out = counting_command(workdir, "retry")
    t = with_aliases(make_tern, f"slow: |{slow}\nretry: |{retry}\n", shutdown_timeout=f"{timeout_s}s")
    # In flight at SIGTERM: a slow command delivery, retries of a deferring one...
    send(t, ["slow@local.test"], b"X-Id: slow\r\n\r\nbody\r\n")
    for i in range(3):
        send(t, ["retry@local.test"], f"X-Id: retry-{i}\r\n\r\nbody\r\n".encode())
    wait_until(lambda: runs(workdir, "slow") >= 1 and runs(workdir, "retry") >= 6, timeout=20,
               what="the slow delivery and some retries")
    # ...sessions parked inside DATA...
    parked = []
    for i in range(10):
        c = RawSMTP.at_data(t.port)
        c.send(f"X-Id: parked-{i}\r\n\r\nhalf a body\r\n")
        parked.append(c)
    for c in parked:
        wait_until(lambda: server_has_read(t, c), what="the server to read the parked sessions")
    # ...and clients committing messages as fast as they can.
    acked, lock, stop = [], threading.Lock(), threading.Event()

    def client(n):
        i = 0
        while not stop.is_set():
            mid = f"load-{n}-{i}"
            i += 1
            try:
                send(t, ["alice@virt.test"], f"X-Id: {mid}\r\n\r\nbody\r\n".encode())
            except (smtplib.SMTPException, OSError):
                continue
            with lock:
                acked.append(mid)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for th in threads:
        th.start()
    wait_until(lambda: len(acked) >= 20, timeout=20, what="the load to be running")
    start = time.monotonic()
    t.proc.send_signal(signal.SIGTERM)
    replies = []
    for c in parked:
        try:
            replies.append(c.reply())
        except (ConnectionError, OSError) as e:
            replies.append((None, repr(e)))
    rc = t.proc.wait(timeout=timeout_s + 10)
    elapsed = time.monotonic() - start
    stop.set()
    for th in threads:
        th.join()
    t.proc = None
    t.stderr.close()
    # Within shutdown_timeout (plus the time to notice a process exit on a loaded machine).
    assert rc == 0 and elapsed < timeout_s + 0.5, elapsed
    assert all(r[0] == 421 and r[1][4:9] == "4.3.2" for r in replies), replies

    # After the restart every acknowledged message is delivered, once.
    open(os.path.join(workdir, "open"), "w").close()
    t.start()
    wait_until(lambda: len(stored(slow_out)) == 1 and len(stored(retry_out)) == 3, timeout=20,
               what="the command deliveries after the restart")
    t.wait_queue_empty(timeout=20)
    got = x_ids(t.maildir("alice@virt.test"))
    assert len(got) == len(set(got)), "a message was delivered twice"
    assert set(acked) <= set(got)
    assert not any(m.startswith("parked-") for m in got)
    # The slow delivery was killed in flight (and is the only repeated one).
    assert runs(workdir, "slow") == 2
    assert len(stored(slow_out)) == 1 and len(stored(retry_out)) == 3


def test_sigterm_while_a_client_streams_data(make_tern):
    # The client never pauses inside DATA, so the server always has data to
    # read: SIGTERM must still end the session with 421 at once (a read that
    # had completed before the signal used to let the DATA loop go on
    # reading until shutdown_timeout cut everything off without a reply).
    t = make_tern({"shutdown_timeout": "8s"})
    c = RawSMTP.at_data(t.port)
    sent, stop = [0], threading.Event()

    def stream():
        line = b"x" * 998 + b"\r\n"
        try:
            while not stop.is_set():
                c.sock.sendall(line * 64)
                sent[0] += len(line) * 64
        except OSError:
            pass

    th = threading.Thread(target=stream)
    th.start()
    try:
        wait_until(lambda: sent[0] > 2_000_000, what="the client to be streaming")
        start = time.monotonic()
        t.proc.send_signal(signal.SIGTERM)
        try:
            reply = c.reply()
        except (ConnectionError, OSError) as e:
            reply = (None, repr(e))
        elapsed = time.monotonic() - start
        assert reply[0] == 421 and reply[1][4:9] == "4.3.2", (reply, elapsed)
        assert t.proc.wait(timeout=15) == 0
        assert time.monotonic() - start < 4, "the daemon waited for the streaming client"
    finally:
        stop.set()
        c.sock.close()
        th.join()
    t.proc = None
    t.stderr.close()


# --- the same through the root-owned local delivery process ------------------

@pytest.mark.skipif(os.geteuid() != 0, reason="needs root for the local delivery process")
def test_separated_mode_delivers_each_target_once_and_stops_in_time(make_tern, workdir):
    os.chmod(workdir, 0o777)
    cmd, cmd_out = counting_command(workdir, "cmd")
    slow, slow_out = counting_command(workdir, "slow", gate=False)
    t = with_aliases(make_tern, f"a: bob@virt.test, |{cmd}\nslow: |{slow}\n", mail_owner="tern",
                     shutdown_timeout="3s")
    send(t, ["a@local.test"], b"X-Id: sep\r\n\r\nbody\r\n")
    # The command goes through the root side, which reads the queue file
    # with bob's 'X' record after its end marker.
    wait_until(lambda: runs(workdir, "cmd") >= 3, timeout=20, what="three attempts through the root side")
    assert x_ids(t.maildir("bob@virt.test")) == ["sep"]
    # SIGTERM with a slow command running as another user in the root side.
    send(t, ["slow@local.test"], b"X-Id: slow\r\n\r\nbody\r\n")
    wait_until(lambda: runs(workdir, "slow") >= 1, what="the slow command to start")
    start = time.monotonic()
    rc = t.stop(timeout=10)
    assert rc == 0 and time.monotonic() - start < 3.5
    open(os.path.join(workdir, "open"), "w").close()
    t.start()  # the local delivery process of the old daemon is gone: no lock held
    wait_until(lambda: len(stored(cmd_out)) == 1 and len(stored(slow_out)) == 1, timeout=20,
               what="both command deliveries after the restart")
    t.wait_queue_empty()
    assert x_ids(t.maildir("bob@virt.test")) == ["sep"]
    assert runs(workdir, "slow") == 2  # killed at shutdown, redone once
