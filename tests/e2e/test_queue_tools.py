"""Queue tools: list (mailq layout), show, hold, release, delete, flush."""

import re
import smtplib

from conftest import wait_until


def test_deferred_message_tools(make_tern):
    # A mailbox_command that always says "try again" keeps the message queued.
    t = make_tern({"mailbox_command": "/bin/sh -c 'exit 75'", "minimal_backoff_time": "60s",
                   "maximal_backoff_time": "60s"})
    import getpass
    with smtplib.SMTP("127.0.0.1", t.port) as s:
        s.sendmail("s@example.org", [f"{getpass.getuser()}@local.test"], b"Subject: stuck\r\n\r\nx\r\n")
    wait_until(lambda: "status=deferred" in t.log(), what="deferral")
    out = t.run("queue", "list").stdout
    m = re.search(r"^([0-9A-F]{16}) +(\d+) .* s@example.org$", out, re.M)
    assert m, out
    qid = m.group(1)
    assert "temporary failure" in out  # the reason for delay
    assert "1 Request." in out
    shown = t.run("queue", "show", qid).stdout
    assert "sender: s@example.org" in shown and "Subject: stuck" in shown
    t.run("queue", "hold", qid)
    assert re.search(rf"^{qid}!", t.run("queue", "list").stdout, re.M)
    t.run("queue", "release", qid)
    assert re.search(rf"^{qid} ", t.run("queue", "list").stdout, re.M)
    attempts = t.log().count("status=deferred")
    t.run("queue", "flush")
    wait_until(lambda: t.log().count("status=deferred") > attempts, what="flush to retry")
    t.run("queue", "delete", qid)
    assert "Mail queue is empty" in t.run("queue", "list").stdout
    r = t.run("queue", "show", "../../etc/passwd", check=False)
    assert r.returncode != 0
