"""Bounces (issue 9 item 5): a permanent failure is returned to the envelope
sender as ONE RFC 3464 report per message per delivery pass, from <>,
naming only the failed recipients, with the DSN parameters of the original
(NOTIFY, ORCPT, ENVID, RET) honoured; mail from <> is never bounced, and a
bounce that fails goes to postmaster once and no further. Also the queue
lifetime (4.4.7), delay_warning_time, and kill -9 around the bounce's
commit. Real build/tern; the report is parsed back with Python's email
package from the sender's Maildir."""

import email
import email.policy
import os
import re
import smtplib

from conftest import ME, PRIVS, build_shim, wait_until

SENDER = "alice@virt.test"


def script(workdir, name, body):
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\ncat >/dev/null\n" + body + "\n")
    os.chmod(path, 0o755)
    return path


def with_aliases(make_tern, aliases, users=("alice@virt.test", "bob@virt.test", "carol@virt.test"), **overrides):
    t = make_tern(start=False, users=users, overrides={"default_privs": PRIVS, **overrides})
    t.write_file("aliases", f"postmaster: {ME}\n" + aliases)
    return t


def send(t, rcpts, sender=SENDER, body=b"Subject: figures\r\nMessage-Id: <orig.1@virt.test>\r\n\r\nhello\r\n",
         mail_options=(), rcpt_options=None):
    """One transaction; rcpt_options maps a recipient to its RCPT parameters."""
    with smtplib.SMTP("127.0.0.1", t.port, timeout=10) as s:
        s.ehlo("client.test")
        assert s.has_extn("dsn")
        code, _ = s.mail(sender, list(mail_options))
        assert code == 250
        for r in rcpts:
            code, text = s.rcpt(r, list((rcpt_options or {}).get(r, ())))
            assert code == 250, text
        code, text = s.data(body)
        assert code == 250, text
        return text.decode().rsplit(" ", 1)[-1]


def parse(msg):
    return email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)


def reports(t, address=SENDER):
    return [parse(m) for m in t.maildir(address)]


def blocks(dsn):
    parts = list(dsn.iter_parts())
    assert parts[1].get_content_type() == "message/delivery-status"
    b = parts[1].get_payload()
    return b[0], b[1:]


def final_recipients(dsn):
    return [r["Final-Recipient"].split(";", 1)[1].strip() for r in blocks(dsn)[1]]


def test_one_report_names_only_the_failed_recipient_with_dsn_parameters(make_tern, workdir):
    fail = script(workdir, "fail.sh", "echo 'no such user here' >&2; exit 67")
    t = with_aliases(make_tern, f"gone: |{fail}\n").start()
    qid = send(t, ["gone@local.test", "bob@virt.test", "carol@virt.test"],
               mail_options=["ENVID=env+2B42", "RET=HDRS"],
               rcpt_options={"gone@local.test": ["NOTIFY=FAILURE,DELAY", "ORCPT=rfc822;old+2Bname@virt.test"]})
    t.wait_for_mail(SENDER)
    t.wait_queue_empty()
    assert len(t.maildir("bob@virt.test")) == 1 and len(t.maildir("carol@virt.test")) == 1
    [dsn] = reports(t)
    assert dsn["From"].startswith("MAILER-DAEMON@mx.test.example")
    assert dsn["To"].addresses[0].addr_spec == "alice@virt.test"
    assert dsn.get_content_type() == "multipart/report"
    assert dsn.get_param("report-type") == "delivery-status"
    # The envelope sender of a bounce is <> (Return-Path of the delivery).
    assert dsn["Return-Path"] in (None, "<>")
    per_msg, per_rcpt = blocks(dsn)
    assert per_msg["Original-Envelope-Id"] == "env+42"
    assert per_msg["Reporting-MTA"] == "dns; mx.test.example"
    [r] = per_rcpt
    assert r["Final-Recipient"] == "rfc822; gone@local.test"
    assert r["Original-Recipient"] == "rfc822; old+name@virt.test"
    assert r["Action"] == "failed"
    assert r["Status"].startswith("5.")
    assert "Remote-MTA" not in r
    # RET=HDRS: the header of the original, not its body.
    third = list(dsn.iter_parts())[2]
    assert third.get_content_type() == "text/rfc822-headers"
    assert "<orig.1@virt.test>" in third.get_content()
    log = t.log()
    assert re.search(rf"{qid}: sender non-delivery notification: [0-9A-F]+", log), log
    assert log.count("sender non-delivery notification") == 1


def test_full_message_returned_by_default_and_rewritten_recipient_named(make_tern, workdir):
    fail = script(workdir, "fail.sh", "exit 67")
    t = with_aliases(make_tern, f"team: gone, bob@virt.test\ngone: |{fail}\n").start()
    send(t, ["team@local.test"])
    t.wait_for_mail(SENDER)
    t.wait_queue_empty()
    [dsn] = reports(t)
    [r] = blocks(dsn)[1]
    assert r["Final-Recipient"] == "rfc822; gone@local.test"
    assert r["Original-Recipient"] == "rfc822; team@local.test"
    third = list(dsn.iter_parts())[2]
    assert third.get_content_type() == "message/rfc822"
    assert "hello" in third.as_string()


def test_notify_never_sends_nothing(make_tern, workdir):
    fail = script(workdir, "fail.sh", "exit 67")
    t = with_aliases(make_tern, f"gone: |{fail}\n").start()
    send(t, ["gone@local.test", "bob@virt.test"], rcpt_options={"gone@local.test": ["NOTIFY=NEVER"]})
    wait_until(lambda: "status=bounced" in t.log(), what="the failure")
    t.wait_queue_empty()
    t.wait_for_mail("bob@virt.test")
    assert len(t.maildir(SENDER)) == 0
    assert "notification" not in t.log()


def test_notify_success_reports_delivered(make_tern):
    t = with_aliases(make_tern, "").start()
    send(t, ["bob@virt.test", "carol@virt.test"], rcpt_options={"bob@virt.test": ["NOTIFY=SUCCESS"]})
    t.wait_for_mail(SENDER)
    [dsn] = reports(t)
    [r] = blocks(dsn)[1]
    assert r["Final-Recipient"] == "rfc822; bob@virt.test" and r["Action"] == "delivered"
    assert "sender delivery status notification" in t.log()


def test_null_sender_is_never_bounced(make_tern, workdir):
    fail = script(workdir, "fail.sh", "exit 67")
    t = with_aliases(make_tern, f"gone: |{fail}\n").start()
    qid = send(t, ["gone@local.test"], sender="")
    wait_until(lambda: f"{qid}: sender is null: no non-delivery notification" in t.log(), what="the log line")
    t.wait_queue_empty()
    assert "non-delivery notification:" not in t.log()
    assert t.mbox() == []


def test_failed_bounce_goes_to_postmaster_once(make_tern, workdir):
    fail = script(workdir, "fail.sh", "exit 67")
    t = with_aliases(make_tern, f"gone: |{fail}\nsender: |{fail}\n").start()
    qid = send(t, ["gone@local.test"], sender="sender@local.test")
    wait_until(lambda: len(t.mbox()) == 1, what="the double bounce in postmaster's mailbox")
    t.wait_queue_empty()
    log = t.log()
    bounce = re.search(rf"{qid}: sender non-delivery notification: ([0-9A-F]+)", log).group(1)
    assert re.search(rf"{bounce}: postmaster non-delivery notification: [0-9A-F]+", log), log
    # The queue is empty, so nothing more can come.
    assert len(t.mbox()) == 1
    assert log.count("non-delivery notification:") == 2
    dsn = email.message_from_bytes(t.mbox()[0].as_bytes(), policy=email.policy.default)
    assert final_recipients(dsn) == ["sender@local.test"]


def test_failed_double_bounce_is_dropped(make_tern, workdir):
    fail = script(workdir, "fail.sh", "exit 67")
    t = with_aliases(make_tern, f"gone: |{fail}\nsender: |{fail}\npm: |{fail}\n",
                     **{"2bounce_notice_recipient": "pm"}).start()
    send(t, ["gone@local.test"], sender="sender@local.test")
    wait_until(lambda: "undeliverable postmaster notification discarded" in t.log(), what="the drop")
    t.wait_queue_empty()
    assert t.log().count("non-delivery notification:") == 2


def test_expired_message_returns_4_4_7(make_tern, workdir):
    defer = script(workdir, "defer.sh", "echo 'mailbox busy' >&2; exit 75")
    t = with_aliases(make_tern, f"slow: |{defer}\n", maximal_queue_lifetime="2s").start()
    send(t, ["slow@local.test", "bob@virt.test"])
    t.wait_for_mail(SENDER, timeout=20)
    t.wait_queue_empty()
    [dsn] = reports(t)
    [r] = blocks(dsn)[1]
    assert r["Final-Recipient"] == "rfc822; slow@local.test"
    assert r["Action"] == "failed" and r["Status"] == "4.4.7"
    assert "message expired" in r["Diagnostic-Code"]
    assert re.search(r"to=<slow@local.test>.*dsn=4\.4\.7, status=expired, returned to sender", t.log())
    assert not os.listdir(os.path.join(t.queue, "hold"))


def test_delay_warning_sent_once_across_restarts(make_tern, workdir):
    gate = os.path.join(workdir, "open")
    cmd = script(workdir, "gated.sh", f"[ -e {gate} ] && exit 0; exit 75")
    t = with_aliases(make_tern, f"slow: |{cmd}\n", delay_warning_time="1s").start()
    send(t, ["slow@local.test"])
    t.wait_for_mail(SENDER, timeout=20)
    [warning] = reports(t)
    [r] = blocks(warning)[1]
    assert r["Action"] == "delayed" and r["Status"].startswith("4.")
    assert "Will-Retry-Until" in r
    # Retries go on, also after a restart: no second warning.
    t.stop()
    t.start()
    t.run("queue", "flush")
    wait_until(lambda: t.log().count("status=deferred") >= 4, timeout=20, what="more retries")
    assert len(t.maildir(SENDER)) == 1
    open(gate, "w").close()
    t.run("queue", "flush")
    t.wait_queue_empty(timeout=20)
    assert len(t.maildir(SENDER)) == 1
    assert t.log().count("sender delay notification") == 1


def test_kill9_while_the_failing_delivery_runs(make_tern, workdir):
    """Crash before the failure is known: the restart redoes the delivery,
    which fails again, and exactly one bounce arrives."""
    started = os.path.join(workdir, "started")
    cmd = script(workdir, "hang.sh", f"if [ -e {started} ]; then exit 67; fi\ntouch {started}\nsleep 30\nexit 67")
    t = with_aliases(make_tern, f"gone: |{cmd}\n").start()
    send(t, ["gone@local.test", "bob@virt.test"])
    wait_until(lambda: os.path.exists(started), what="the command to start")
    t.kill9()
    t.start()
    t.wait_for_mail(SENDER, timeout=20)
    t.wait_queue_empty()  # nothing left that could bounce again
    assert len(t.maildir(SENDER)) == 1
    assert len(t.maildir("bob@virt.test")) == 1


def test_kill9_between_bounce_commit_and_cross_off(make_tern, workdir):
    """Crash after the bounce is durable, before the failed recipient is
    crossed off: this is the one window where a duplicate bounce is
    accepted (the restart fails the recipient again and bounces again);
    a lost bounce never is."""
    shim = build_shim(workdir, "crossoffkill")
    flag = os.path.join(workdir, "kill-flag")
    fail = script(workdir, "fail.sh", "exit 67")
    # One queue runner, so the original's pass ends (and crashes) before
    # the bounce itself is delivered.
    t = with_aliases(make_tern, f"gone: |{fail}\n", delivery_concurrency_limit="1")
    open(flag, "w").close()
    t.start(env={"LD_PRELOAD": shim, "TERN_CROSSOFF_KILL_FLAG": flag})
    send(t, ["gone@local.test", "bob@virt.test"])
    wait_until(lambda: t.proc.poll() is not None, what="the crash at the cross-off")
    assert not os.path.exists(flag)
    assert "sender non-delivery notification" in t.log()
    t.proc = None
    t.stderr.close()
    t.start()
    t.wait_for_mail(SENDER, timeout=20)
    t.wait_queue_empty()  # nothing left that could bounce again
    n = len(t.maildir(SENDER))
    assert 1 <= n <= 2, n
    for dsn in reports(t):
        assert final_recipients(dsn) == ["gone@local.test"]
    assert len(t.maildir("bob@virt.test")) == 1


def test_failures_at_acceptance_give_one_report(make_tern):
    """Both recipients fail at acceptance (5.2.2, over mailbox_size_limit):
    one report names both, committed before the 250."""
    t = with_aliases(make_tern, "", mailbox_size_limit="4000", bounce_size_limit="200").start()
    qid = send(t, ["bob@virt.test", "carol@virt.test"], body=b"Subject: big\r\n\r\n" + b"x" * 5000 + b"\r\n")
    t.wait_for_mail(SENDER)
    t.wait_queue_empty()
    [dsn] = reports(t)
    assert sorted(final_recipients(dsn)) == ["bob@virt.test", "carol@virt.test"]
    assert all(r["Status"] == "5.2.2" for r in blocks(dsn)[1])
    # Over bounce_size_limit: the header only.
    assert list(dsn.iter_parts())[2].get_content_type() == "text/rfc822-headers"
    assert t.log().count(f"{qid}: sender non-delivery notification") == 1


def test_unknown_member_of_an_alias_bounces_alone(make_tern):
    """An alias list with one member who left: the others get the mail and
    one report names only that member (5.1.1), as Postfix's local(8) does;
    before, the whole alias bounced and no member got the mail."""
    t = with_aliases(make_tern, "staff: bob@virt.test, nosuch-tern-user, carol@virt.test\n").start()
    send(t, ["staff@local.test"])
    t.wait_for_mail(SENDER)
    t.wait_queue_empty()
    assert len(t.maildir("bob@virt.test")) == 1 and len(t.maildir("carol@virt.test")) == 1
    [dsn] = reports(t)
    assert final_recipients(dsn) == ["nosuch-tern-user@local.test"]
    _, [rcpt] = blocks(dsn)
    assert rcpt["Status"] == "5.1.1"
    assert re.search(r"to=<nosuch-tern-user@local.test>, orig_to=<staff@local.test>.*status=bounced", t.log())
