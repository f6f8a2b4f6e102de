"""Remote delivery end to end: tern relays to real SMTP servers on
loopback (Python's aiosmtpd, Postfix's smtp-sink, and hostile raw
sockets), routed by a relayhost, transport_maps, or MX records served by a
throwaway unbound (dns_server.py). Checks what arrives, what the log says
(Postfix's relay=, dsn=, status=), and what stays queued."""

import email
import email.policy
import os
import smtplib
import socket
import subprocess

import pytest

from conftest import free_port, wait_until
from dns_server import make_dns_server  # noqa: F401 (fixture)
from smtp_peers import RawPeer, SmtpPeer, busy, garbage, silent, wait_for_peer_messages

MSG = b"From: alice@virt.test\r\nTo: someone\r\nSubject: relayed\r\n\r\nbody line\r\n.leading dot\r\n"


@pytest.fixture
def peer():
    made = []

    def factory(**kw):
        p = SmtpPeer(**kw).start()
        made.append(p)
        return p

    yield factory
    for p in made:
        p.stop()


@pytest.fixture
def raw_peer():
    made = []

    def factory(behave, **kw):
        p = RawPeer(behave, **kw)
        made.append(p)
        return p

    yield factory
    for p in made:
        p.stop()


def send(t, rcpts, sender="alice@virt.test", msg=MSG, rcpt_options=()):
    with smtplib.SMTP("127.0.0.1", t.port, timeout=10) as s:
        s.sendmail(sender, rcpts, msg, rcpt_options=list(rcpt_options))


def reports(t, address, count=1):
    """The DSNs in a local mailbox, parsed: [(report message, [per-recipient fields])]."""
    t.wait_for_mail(address, count=count)
    out = []
    for m in t.maildir(address):
        msg = email.message_from_bytes(m.as_bytes(), policy=email.policy.default)
        assert msg.get_content_type() == "multipart/report", msg
        status = next(p for p in msg.walk() if p.get_content_type() == "message/delivery-status")
        blocks = status.get_payload()
        out.append((msg, [dict(b.items()) for b in blocks[1:]]))
    return out


def log_lines(t, needle):
    return [l for l in t.log().splitlines() if needle in l]


def relay_to(p):
    return {"relayhost": f"[127.0.0.1]:{p.port}"}


def test_relayhost_gets_the_message_with_every_recipient_in_one_transaction(make_tern, peer):
    p = peer()
    t = make_tern(relay_to(p))
    send(t, ["x@remote.test", "y@remote.test", "z@other.test", "bob@virt.test"])
    wait_for_peer_messages(p, 1)
    t.wait_for_mail("bob@virt.test")
    t.wait_queue_empty()
    # One next hop, one transaction with all three remote recipients.
    assert p.handler.transactions == 1
    mail_from, rcpts, content, _, _, _ = p.handler.messages[0]
    assert mail_from == "alice@virt.test"
    assert sorted(rcpts) == ["x@remote.test", "y@remote.test", "z@other.test"]
    assert b"body line\r\n.leading dot\r\n" in content  # dot-stuffing undone by the peer, CRLF on the wire
    assert b"Received: from " in content
    sent = log_lines(t, "status=sent")
    relay = f"relay=127.0.0.1[127.0.0.1]:{p.port}"
    assert sum(relay in l for l in sent) == 3, sent
    assert any("to=<x@remote.test>" in l and "Ok: queued as REMOTE1" in l for l in sent), sent


def test_recipient_limit_splits_transactions(make_tern, peer):
    p = peer()
    t = make_tern({**relay_to(p), "smtp_destination_recipient_limit": "2"})
    send(t, [f"r{i}@remote.test" for i in range(5)])
    wait_for_peer_messages(p, 3)
    t.wait_queue_empty()
    assert sorted(len(m[1]) for m in p.handler.messages) == [1, 2, 2]
    assert p.handler.recipients() == [f"r{i}@remote.test" for i in range(5)]


def test_one_recipient_refused_only_that_one_fails(make_tern, peer):
    p = peer()
    p.handler.rcpt_replies["bad@remote.test"] = "550 5.1.1 <bad@remote.test>: no such user"
    t = make_tern(relay_to(p))
    send(t, ["good1@remote.test", "bad@remote.test", "good2@remote.test"])
    wait_for_peer_messages(p, 1)
    t.wait_queue_empty()
    assert p.handler.recipients() == ["good1@remote.test", "good2@remote.test"]
    bounced = log_lines(t, "status=bounced")
    assert len(bounced) == 1 and "to=<bad@remote.test>" in bounced[0] and "dsn=5.1.1" in bounced[0], bounced
    assert "said: 550 5.1.1" in bounced[0] and "in reply to RCPT TO" in bounced[0], bounced
    # One DSN to the sender, naming only the refused recipient and the host that refused it.
    [(dsn, fields)] = reports(t, "alice@virt.test")
    assert dsn["From"].addresses[0].username == "MAILER-DAEMON"
    assert len(fields) == 1, fields
    assert fields[0]["Final-Recipient"] == "rfc822; bad@remote.test"
    assert fields[0]["Action"] == "failed" and fields[0]["Status"] == "5.1.1"
    assert fields[0]["Remote-MTA"] == "dns; 127.0.0.1"
    assert fields[0]["Diagnostic-Code"].startswith("smtp; 550 5.1.1"), fields[0]


def test_success_notification_says_relayed_when_the_next_server_has_no_dsn(make_tern, peer):
    p = peer()  # aiosmtpd does not offer DSN
    t = make_tern(relay_to(p))
    send(t, ["x@remote.test"], rcpt_options=["NOTIFY=SUCCESS", "ORCPT=rfc822;list@remote.test"])
    wait_for_peer_messages(p, 1)
    [(_, fields)] = reports(t, "alice@virt.test")
    assert fields[0]["Action"] == "relayed" and fields[0]["Final-Recipient"] == "rfc822; x@remote.test", fields
    assert fields[0]["Original-Recipient"] == "rfc822; list@remote.test", fields


def test_bounce_to_a_refusing_sender_goes_to_postmaster_once(make_tern, peer):
    p = peer()
    p.handler.rcpt_replies["x@remote.test"] = "550 5.1.1 no such user"
    p.handler.rcpt_replies["sender@remote.test"] = "550 5.7.1 we do not take bounces"
    t = make_tern(relay_to(p))
    send(t, ["x@remote.test"], sender="sender@remote.test")
    wait_until(lambda: t.mbox(), what="the postmaster notice")
    t.wait_queue_empty()
    assert len(t.mbox()) == 1
    assert len(log_lines(t, "status=bounced")) == 2  # the message, then its bounce; never a third
    assert not p.handler.messages


def test_temporary_failure_defers_then_a_flush_delivers(make_tern, peer):
    p = peer()
    p.handler.data_replies = ["451 4.3.0 try again later"]
    t = make_tern({**relay_to(p), "minimal_backoff_time": "1h", "maximal_backoff_time": "1h"})
    send(t, ["x@remote.test"])
    wait_until(lambda: log_lines(t, "status=deferred"), what="the deferral")
    assert "dsn=4.3.0" in log_lines(t, "status=deferred")[0]
    listing = t.run("queue", "list").stdout
    assert "451 4.3.0 try again later" in listing, listing
    assert not p.handler.messages
    t.run("queue", "flush")
    wait_for_peer_messages(p, 1)
    t.wait_queue_empty()
    assert p.handler.recipients() == ["x@remote.test"]


def test_host_down_then_up(make_tern):
    port = free_port()
    t = make_tern({"relayhost": f"[127.0.0.1]:{port}", "minimal_backoff_time": "1h", "maximal_backoff_time": "1h"})
    send(t, ["x@remote.test"])
    wait_until(lambda: log_lines(t, "status=deferred"), what="the deferral")
    line = log_lines(t, "status=deferred")[0]
    assert f"connect to 127.0.0.1[127.0.0.1]:{port}: Connection refused" in line and "dsn=4.4.1" in line, line
    p = SmtpPeer(port=port).start()
    try:
        t.run("queue", "flush")
        wait_for_peer_messages(p, 1)
        t.wait_queue_empty()
    finally:
        p.stop()


def test_kill_9_in_the_middle_of_a_session_then_the_mail_goes_out_after_restart(make_tern, raw_peer):
    """A session stalls at DATA (a server that never answers), tern is
    killed: after a restart with the host working, the message goes out."""
    port = free_port()

    def stall_at_data(conn):
        conn.sendall(b"220 stall.test ESMTP\r\n")
        f = conn.makefile("rb")
        while True:
            line = f.readline()
            if not line:
                return
            if line.upper().startswith(b"DATA"):
                conn.recv(1)  # no 354, ever
                return
            conn.sendall(b"250 ok\r\n")

    stall = raw_peer(stall_at_data, port=port)
    t = make_tern({"relayhost": f"[127.0.0.1]:{port}"})
    send(t, ["x@remote.test", "y@remote.test"])
    wait_until(lambda: stall.connections >= 1, what="the session to start")
    wait_until(lambda: any(f.startswith("active/") for f in t.queue_files()), what="the queue file")
    t.kill9()
    stall.stop()
    p = SmtpPeer(port=port).start()
    try:
        t.start()
        wait_for_peer_messages(p, 1)
        t.wait_queue_empty()
        assert p.handler.recipients() == ["x@remote.test", "y@remote.test"]
        assert p.handler.transactions == 1
    finally:
        p.stop()


def test_garbage_replies_defer_with_a_reason(make_tern, raw_peer):
    g = raw_peer(garbage)
    t = make_tern({"relayhost": f"[127.0.0.1]:{g.port}", "minimal_backoff_time": "1h", "maximal_backoff_time": "1h"})
    send(t, ["x@remote.test"])
    wait_until(lambda: log_lines(t, "status=deferred"), what="the deferral")
    line = log_lines(t, "status=deferred")[0]
    assert "x@remote.test" in line and "\x00" not in line
    assert t.proc.poll() is None  # still running
    assert any(f.startswith("active/") for f in t.queue_files())


def test_a_failing_host_is_not_hammered_by_every_queued_message(make_tern, raw_peer):
    b = raw_peer(busy)
    t = make_tern({"relayhost": f"[127.0.0.1]:{b.port}", "minimal_backoff_time": "1h", "maximal_backoff_time": "1h"})
    send(t, ["first@remote.test"])
    wait_until(lambda: log_lines(t, "status=deferred"), what="the first deferral")
    assert "421 4.3.2" in log_lines(t, "status=deferred")[0]
    for i in range(3):
        send(t, [f"next{i}@remote.test"])
    wait_until(lambda: len(log_lines(t, "status=deferred")) >= 4, what="three more deferrals")
    later = log_lines(t, "status=deferred")[1:]
    assert all("delivery temporarily suspended: " in l and "421 4.3.2" in l for l in later), later
    assert all(f"relay=127.0.0.1[127.0.0.1]:{b.port}" in l for l in later), later
    assert b.connections == 1  # the three later messages never connected
    assert len([f for f in t.queue_files() if f.startswith("active/")]) == 4


def test_tarpit_is_cut_by_the_greeting_timeout(make_tern, raw_peer):
    s = raw_peer(silent)
    t = make_tern({"relayhost": f"[127.0.0.1]:{s.port}", "smtp_helo_timeout": "2s",
                   "minimal_backoff_time": "1h", "maximal_backoff_time": "1h"})
    send(t, ["x@remote.test"])
    wait_until(lambda: log_lines(t, "status=deferred"), timeout=15, what="the deferral")
    line = log_lines(t, "status=deferred")[0]
    assert "timed out" in line and "greeting" in line, line


def test_transport_maps_error_and_discard(make_tern, peer):
    p = peer()
    t = make_tern({"transport_maps": f"inline:{{ gone.test=error:5.1.2, void.test=discard:, "
                                     f"remote.test=smtp:[127.0.0.1]:{p.port} }}",
                   "default_transport": "error:5.7.1"})
    send(t, ["a@gone.test", "b@void.test", "c@remote.test", "d@elsewhere.test"])
    wait_for_peer_messages(p, 1)
    t.wait_queue_empty()
    assert p.handler.recipients() == ["c@remote.test"]
    bounced = log_lines(t, "status=bounced")
    assert any("to=<a@gone.test>" in l and "dsn=5.1.2" in l for l in bounced), bounced
    assert any("to=<d@elsewhere.test>" in l and "dsn=5.7.1" in l for l in bounced), bounced
    assert any("to=<b@void.test>" in l and "discarded" in l for l in log_lines(t, "status=sent"))


def test_dns_servfail_defers_and_null_mx_bounces(make_tern, make_dns_server):
    dns = make_dns_server(["nullmx.test. MX 0 ."], zones=("test.",), refuse=("broken.example.",))
    t = make_tern({"dns_resolver": dns.address, "minimal_backoff_time": "1h", "maximal_backoff_time": "1h"})
    send(t, ["a@broken.example", "b@nullmx.test", "c@nxdomain.test"])
    wait_until(lambda: len(log_lines(t, "status=")) >= 3, what="three outcomes")
    deferred = log_lines(t, "status=deferred")
    bounced = log_lines(t, "status=bounced")
    assert any("to=<a@broken.example>" in l for l in deferred), t.log()[-2000:]
    assert any("to=<b@nullmx.test>" in l and "dsn=5.1.10" in l for l in bounced), bounced
    assert any("to=<c@nxdomain.test>" in l and "dsn=5.4.4" in l for l in bounced), bounced


need_root = pytest.mark.skipif(os.geteuid() != 0, reason="an MX has no port: its server listens on port 25, which needs root")


@need_root
def test_mx_preference_and_the_next_mx_when_the_first_is_down(make_tern, make_dns_server, peer):
    # mx1 (preferred) has no server; mx2 on 127.0.0.4:25 takes the mail.
    p = peer(host="127.0.0.4", port=25)
    dns = make_dns_server(["remote.test. MX 10 mx1.remote.test.", "remote.test. MX 20 mx2.remote.test.",
                           "mx1.remote.test. A 127.0.0.3", "mx2.remote.test. A 127.0.0.4"])
    t = make_tern({"dns_resolver": dns.address})
    send(t, ["x@remote.test", "y@remote.test"])
    wait_for_peer_messages(p, 1)
    t.wait_queue_empty()
    assert p.handler.transactions == 1
    assert p.handler.recipients() == ["x@remote.test", "y@remote.test"]
    sent = log_lines(t, "status=sent")
    assert all("relay=mx2.remote.test[127.0.0.4]:25" in l for l in sent) and len(sent) == 2, sent


@need_root
def test_smtp_sink_from_postfix_accepts_relayed_mail(make_tern, make_dns_server, workdir):
    sink = subprocess.Popen(["/usr/sbin/smtp-sink", "-u", "root", "-d", os.path.join(workdir, "sink-%M"),
                             "127.0.0.5:25", "10"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def listening():
            with socket.socket() as c:
                return c.connect_ex(("127.0.0.5", 25)) == 0

        wait_until(listening, what="smtp-sink to listen")
        dns = make_dns_server(["sink.test. MX 5 mx.sink.test.", "mx.sink.test. A 127.0.0.5"])
        t = make_tern({"dns_resolver": dns.address})
        send(t, ["a@sink.test", "b@sink.test"])
        t.wait_queue_empty()
        sent = log_lines(t, "status=sent")
        assert len(sent) == 2 and all("relay=mx.sink.test[127.0.0.5]:25" in l for l in sent), sent
        dumped = [f for f in os.listdir(workdir) if f.startswith("sink-")]
        assert dumped, "smtp-sink saved nothing"
    finally:
        sink.terminate()
        sink.wait()


@pytest.mark.parametrize("password", ["secret", "wrong"])
def test_smarthost_with_starttls_verify_and_auth_plain(make_tern, make_dns_server, peer, workdir, password):
    import ssl

    from tls_pki import Pki

    pki = Pki(workdir)
    cert, key = pki.issue("smart", names=("smart.test",))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    p = peer(tls_context=ctx, require_tls=True, auth=("relayuser", "secret"))
    dns = make_dns_server(["smart.test. A 127.0.0.1"])
    t = make_tern({"dns_resolver": dns.address, "relayhost": f"[smart.test]:{p.port}",
                   "smtp_tls_security_level": "verify", "smtp_tls_CAfile": pki.ca, "smtp_tls_loglevel": "1",
                   "smtp_sasl_auth_enable": "yes",
                   "smtp_sasl_password_maps": f"inline:{{ [smart.test]:{p.port}=relayuser:{password} }}",
                   "minimal_backoff_time": "1h", "maximal_backoff_time": "1h"})
    send(t, ["x@remote.test"])
    if password == "secret":
        wait_for_peer_messages(p, 1)
        t.wait_queue_empty()
        session = p.handler.messages[0][5]
        assert session.authenticated and session.ssl is not None
        assert f"Verified TLS connection established to smart.test[127.0.0.1]:{p.port}" in t.log()
    else:
        wait_until(lambda: log_lines(t, "status=deferred"), what="the deferral")
        line = log_lines(t, "status=deferred")[0]
        assert "authentication failed" in line.lower() and "535" in line, line
        assert not p.handler.messages
