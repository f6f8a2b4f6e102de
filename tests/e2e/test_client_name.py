"""The SMTP server's view of the client's name (smtpd_peername_lookup, issue 9
item 1): looked up before the greeting through a real DNS server
(dns_server.py), confirmed by a forward lookup, shown in every log line of
the session and in Received: as Postfix shows them; unknown when the name
does not resolve back, when DNS fails or is silent, and when the lookup is
turned off (then no query at all)."""

import smtplib
import threading
import time

from conftest import SANITIZED, RawSMTP, wait_until
from dns_server import make_dns_server, silent_dns  # noqa: F401 (fixtures)

RECORDS = ["mail.ptr.test. A 127.0.0.5", "liar.ptr.test. A 127.0.0.99"]
PTR = [("127.0.0.5", "mail.ptr.test"), ("127.0.0.6", "liar.ptr.test")]
MSG = b"Subject: name\r\n\r\nhello\r\n"


def named_tern(make_tern, make_dns_server, **extra):
    dns = make_dns_server(RECORDS, refuse=("7.0.0.127.in-addr.arpa.",), ptr=PTR)
    t = make_tern(overrides={"dns_resolver": dns.address, "smtpd_peername_lookup": "yes", **extra})
    return t, dns


def send_from(t, source, rcpts=("alice@virt.test",)):
    with smtplib.SMTP("127.0.0.1", t.port, source_address=(source, 0), local_hostname="client.example") as s:
        return s.sendmail("s@example.org", list(rcpts), MSG)


def test_confirmed_name_in_log_received_and_rejects(make_tern, make_dns_server):
    t, _ = named_tern(make_tern, make_dns_server)
    send_from(t, "127.0.0.5")
    msg = t.wait_for_mail("alice@virt.test")[0]
    assert msg["Received"].startswith("from client.example (mail.ptr.test [127.0.0.5])"), msg["Received"]
    log = t.log()
    assert "connect from mail.ptr.test[127.0.0.5]" in log
    assert "client=mail.ptr.test[127.0.0.5]" in log
    wait_until(lambda: "disconnect from mail.ptr.test[127.0.0.5]" in t.log(), what="the disconnect line")
    # A reject line names the client the same way (127.0.0.5 is not in mynetworks).
    try:
        send_from(t, "127.0.0.5", rcpts=("someone@elsewhere.example",))
        raise AssertionError("relayed for a stranger")
    except smtplib.SMTPRecipientsRefused:
        pass
    wait_until(lambda: "NOQUEUE: reject: RCPT from mail.ptr.test[127.0.0.5]: 554 5.7.1" in t.log(),
               what="the reject line with the name")


def test_unconfirmed_failed_and_missing_names_are_unknown(make_tern, make_dns_server):
    t, _ = named_tern(make_tern, make_dns_server)
    # 127.0.0.6: PTR liar.ptr.test, whose A record is another address.
    send_from(t, "127.0.0.6")
    # 127.0.0.7: the reverse zone refuses (SERVFAIL for tern: temporary).
    send_from(t, "127.0.0.7")
    # 127.0.0.8: no PTR record at all.
    send_from(t, "127.0.0.8")
    msgs = t.wait_for_mail("alice@virt.test", 3)
    received = sorted(m["Received"].split(")")[0] for m in msgs)
    assert received == [f"from client.example (unknown [127.0.0.{i}]" for i in (6, 7, 8)], received
    log = t.log()
    assert "warning: hostname liar.ptr.test does not resolve to address 127.0.0.6" in log
    for i in (6, 7, 8):
        assert f"connect from unknown[127.0.0.{i}]" in log
    assert "warning: 127.0.0.7: hostname lookup failed" in log
    assert "liar.ptr.test[" not in log


def test_lookup_off_asks_nothing(make_tern, make_dns_server):
    t, dns = named_tern(make_tern, make_dns_server, smtpd_peername_lookup="no")
    send_from(t, "127.0.0.5")
    msg = t.wait_for_mail("alice@virt.test")[0]
    assert msg["Received"].startswith("from client.example (unknown [127.0.0.5])")
    assert "connect from unknown[127.0.0.5]" in t.log()
    assert "in-addr.arpa" not in dns.log()


def test_silent_dns_delays_the_greeting_by_the_timeout_only(make_tern, silent_dns):
    """Two clients at once while DNS never answers: both greeted after about
    one dns_query_timeout, together (the lookups wait side by side, the event
    loop is not blocked), and named unknown."""
    # Started without the lookup (the start-up probe would wait for DNS),
    # then turned on by a reload, which makes the resolver anew.
    t = make_tern(overrides={"dns_resolver": silent_dns.address, "dns_query_timeout": "2s"})
    t.params["smtpd_peername_lookup"] = "yes"
    t.write_config()
    t.reload()
    wait_until(lambda: "reload -- configuration" in t.log(), what="the reload")
    times = {}

    def greet(source):
        start = time.monotonic()
        c = RawSMTP(t.port, source=source, timeout=30)
        code, _ = c.reply()
        times[source] = (code, time.monotonic() - start)
        c.cmd("QUIT")
        c.close()

    threads = [threading.Thread(target=greet, args=(s,)) for s in ("127.0.0.21", "127.0.0.22")]
    start = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    total = time.monotonic() - start
    assert all(code == 220 for code, _ in times.values()), times
    assert all(1.5 <= d for _, d in times.values()), times
    assert total < (12 if SANITIZED else 3.9), times
    log = t.log()
    assert "connect from unknown[127.0.0.21]" in log and "connect from unknown[127.0.0.22]" in log
