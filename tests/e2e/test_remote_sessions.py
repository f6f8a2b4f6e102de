"""The remote agent's sessions end to end: the connection cache (the next
message to a destination goes over the connection the last one used), its
limits, a cached connection the server closed while idle, the
per-destination concurrency limit, and a dead destination that must not
hold up mail for a live one. Real peers on loopback: Python's aiosmtpd
and scripted raw sockets (smtp_peers.py)."""

import smtplib
import threading

import pytest

from conftest import free_port, wait_until
from smtp_peers import RawPeer, SmtpPeer, connections_seen, silent, wait_for_peer_messages

MSG = b"From: alice@virt.test\r\nSubject: cached\r\n\r\nbody\r\n"


@pytest.fixture
def peers():
    made = []
    yield made
    for p in made:
        p.stop()


def smtp_peer(peers, **kw):
    p = SmtpPeer(**kw).start()
    peers.append(p)
    return p


def send(t, rcpts, sender="alice@virt.test"):
    with smtplib.SMTP("127.0.0.1", t.port, timeout=10) as s:
        s.sendmail(sender, rcpts, MSG)


def one_after_another(t, p, n, first=0):
    """n messages, each sent once the one before has reached the peer."""
    for i in range(first, first + n):
        send(t, [f"r{i}@remote.test"])
        wait_for_peer_messages(p, i + 1)


def log_lines(t, needle):
    return [l for l in t.log().splitlines() if needle in l]


def test_the_next_message_reuses_the_cached_connection(make_tern, peers):
    p = smtp_peer(peers)
    t = make_tern({"relayhost": f"[127.0.0.1]:{p.port}", "smtp_connection_cache_time_limit": "60s"})
    one_after_another(t, p, 4)
    assert connections_seen(p) == 1
    sent = log_lines(t, "status=sent")
    assert len(sent) == 4, sent
    # delays=a/b/c/d: c, the connection setup, is 0 for the cached ones.
    assert all("delays=" in l for l in sent), sent
    cached = [l for l in sent[1:] if "/0/" in l.split("delays=")[1].split(",")[0]]
    assert len(cached) == 3, sent


def test_without_the_cache_each_message_has_its_own_connection(make_tern, peers):
    p = smtp_peer(peers)
    t = make_tern({"relayhost": f"[127.0.0.1]:{p.port}", "smtp_connection_cache_on_demand": "no"})
    one_after_another(t, p, 3)
    assert connections_seen(p) == 3


def test_reuse_count_limit_opens_a_new_connection(make_tern, peers):
    p = smtp_peer(peers)
    t = make_tern({"relayhost": f"[127.0.0.1]:{p.port}", "smtp_connection_cache_time_limit": "60s",
                   "smtp_connection_reuse_count_limit": "2"})
    one_after_another(t, p, 4)
    assert connections_seen(p) == 2


def close_wait_connections(port):
    """Connections to port that the peer closed and we have not (CLOSE_WAIT, state 08 in /proc/net/tcp)."""
    n = 0
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if int(fields[2].split(":")[1], 16) == port and fields[3] == "08":
                n += 1
    return n


def test_a_cached_connection_the_server_closed_is_replaced_without_a_deferral(make_tern, peers):
    # The server times idle connections out after 1 s (421, then close),
    # while tern would keep one for a minute.
    p = smtp_peer(peers, idle_timeout=1)
    t = make_tern({"relayhost": f"[127.0.0.1]:{p.port}", "smtp_connection_cache_time_limit": "60s"})
    one_after_another(t, p, 1)
    wait_until(lambda: close_wait_connections(p.port) == 1, what="the peer to close the idle connection")
    one_after_another(t, p, 1, first=1)
    assert connections_seen(p) == 2
    assert log_lines(t, "status=deferred") == []
    assert len(log_lines(t, "status=sent")) == 2


class HoldingServer:
    """A scripted SMTP server that holds each end-of-data reply until
    `want` connections are open at once (or 1 s passes), and records the
    most connections it saw open together."""

    def __init__(self, want):
        self.want, self.active, self.most, self.delivered = want, 0, 0, 0
        self.cond = threading.Condition()
        self.raw = RawPeer(self.session)
        self.port = self.raw.port

    def session(self, conn):
        with self.cond:
            self.active += 1
            self.most = max(self.most, self.active)
            self.cond.notify_all()
        try:
            conn.sendall(b"220 hold.test ESMTP\r\n")
            f = conn.makefile("rb")
            in_data = False
            while True:
                line = f.readline()
                if not line:
                    return
                if in_data:
                    if line == b".\r\n":
                        in_data = False
                        with self.cond:
                            self.cond.wait_for(lambda: self.active >= self.want, timeout=1)
                            self.delivered += 1
                        conn.sendall(b"250 2.0.0 Ok: held\r\n")
                    continue
                verb = line[:4].upper()
                if verb == b"EHLO":
                    conn.sendall(b"250-hold.test\r\n250 8BITMIME\r\n")
                elif verb == b"DATA":
                    in_data = True
                    conn.sendall(b"354 go\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 2.0.0 Ok\r\n")
        finally:
            with self.cond:
                self.active -= 1

    def stop(self):
        self.raw.stop()


@pytest.mark.parametrize("limit", ["2", None])
def test_destination_concurrency_limit(make_tern, peers, limit):
    h = HoldingServer(want=3)
    peers.append(h)
    params = {"relayhost": f"[127.0.0.1]:{h.port}"}
    if limit:
        params["smtp_destination_concurrency_limit"] = limit
    t = make_tern(params)
    senders = [threading.Thread(target=send, args=(t, [f"c{i}@remote.test"])) for i in range(6)]
    for s in senders:
        s.start()
    for s in senders:
        s.join()
    wait_until(lambda: h.delivered == 6, timeout=20, what="six messages at the holding server")
    # With the limit, never more than 2 at once; without it (20), at
    # least the 3 the server waited for.
    if limit:
        assert h.most == 2, h.most
    else:
        assert h.most >= 3, h.most
    t.wait_queue_empty()


def test_a_dead_destination_does_not_hold_up_a_live_one(make_tern, peers):
    # dead.test's server accepts and never speaks; its sessions wait out
    # smtp_helo_timeout (5 minutes). More messages for it than queue runners
    # (delivery_concurrency_limit = 8) must not keep live.test's mail waiting.
    tarpit = RawPeer(silent)
    peers.append(tarpit)
    live = smtp_peer(peers)
    t = make_tern({"transport_maps": f"inline:{{ dead.test=smtp:[127.0.0.1]:{tarpit.port}, "
                                     f"live.test=smtp:[127.0.0.1]:{live.port} }}",
                   "smtp_destination_concurrency_limit": "4"})
    for i in range(20):
        send(t, [f"d{i}@dead.test"])
    wait_until(lambda: tarpit.connections == 4, what="four sessions stuck at the tarpit")
    send(t, ["someone@live.test"])
    wait_for_peer_messages(live, 1, timeout=10)
    assert tarpit.connections == 4  # the limit held: the other 16 wait in memory, not in sessions
    assert log_lines(t, "status=deferred") == []  # none of the dead ones has timed out yet


def test_a_restart_keeps_the_next_attempt_time_of_deferred_mail(make_tern):
    # Deferred for an hour before the restart: not retried at start-up
    # (Postfix keeps the time on its deferred queue file; tern on the
    # defer note), but still there for a flush.
    port = free_port()
    t = make_tern({"relayhost": f"[127.0.0.1]:{port}", "minimal_backoff_time": "1h", "maximal_backoff_time": "1h"})
    send(t, ["x@remote.test"])
    wait_until(lambda: len(log_lines(t, "status=deferred")) == 1, what="the deferral")
    t.stop()
    t.start()
    send(t, ["bob@virt.test"])  # the queue runners are at work after the restart
    t.wait_for_mail("bob@virt.test")
    assert len(log_lines(t, "status=deferred")) == 1
    t.run("queue", "flush")
    wait_until(lambda: len(log_lines(t, "status=deferred")) == 2, what="the flushed attempt")
