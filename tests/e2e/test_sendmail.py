"""The sendmail-compatible interface: `tern sendmail` and the multi-call
names (sendmail, mailq, newaliases), with and without the daemon."""

import os
import re
import subprocess

from conftest import TERN, wait_until


def link(tern, name):
    path = os.path.join(tern.base, name)
    if not os.path.exists(path):
        os.symlink(TERN, path)
    return path


def run_as(tern, name, args, input=b""):
    return subprocess.run([link(tern, name), *args], input=input, capture_output=True, timeout=30,
                          env={**os.environ, "TERN_CONFIG": tern.config})


def test_sendmail_t_with_bcc_through_daemon(tern):
    msg = (b"From: me@example.org\nTo: alice@virt.test,\n  bob@virt.test\nBcc: carol@virt.test\n"
           b"Subject: via sendmail\n\nline one\n.\nafter a lone dot\n")
    tern.add_user("carol@virt.test")
    tern.reload()
    wait_until(lambda: "reload" in tern.log(), what="reload")
    r = run_as(tern, "sendmail", ["-t", "-i", "-f", "me@example.org"], msg)
    assert r.returncode == 0, r.stderr
    for who in ("alice@virt.test", "bob@virt.test", "carol@virt.test"):
        m = tern.wait_for_mail(who)[0]
        assert m["Bcc"] is None
        assert m["Subject"] == "via sendmail"
        assert "after a lone dot" in m.get_payload()
        assert m["Return-Path"] == "<me@example.org>"
        assert m["Message-ID"] and m["Date"]
    assert re.search(r"uid=\d+ from=<me@example.org>", tern.log())


def test_lone_dot_ends_input_without_i(tern):
    r = run_as(tern, "sendmail", ["alice@virt.test"], b"Subject: dot\n\nkept\n.\ndropped\n")
    assert r.returncode == 0, r.stderr
    m = tern.wait_for_mail("alice@virt.test")[0]
    assert "kept" in m.get_payload() and "dropped" not in m.get_payload()


def test_double_dash_makes_addresses(tern):
    r = run_as(tern, "sendmail", ["-oi", "--", "-oQx@virt.test"], b"Subject: x\n\nx\n")
    # "-oQx@virt.test" is an address (unknown user), never an option.
    assert r.returncode == 0, r.stderr
    wait_until(lambda: "-oQx@virt.test" in tern.log(), what="delivery attempt")


def test_sender_with_newline_refused(tern):
    r = run_as(tern, "sendmail", ["-f", "a\nb@example.org", "alice@virt.test"], b"x\n")
    assert r.returncode == 64


def test_submission_without_daemon_then_delivery_at_start(make_tern):
    t = make_tern(start=False)
    r = run_as(t, "sendmail", ["-i", "alice@virt.test"], b"Subject: queued offline\n\nx\n")
    assert r.returncode == 0, r.stderr
    assert [f for f in t.queue_files() if f.startswith("active/")]
    out = run_as(t, "mailq", []).stdout.decode()
    assert "alice@virt.test" in out and "1 Request" in out
    t.start()
    assert t.wait_for_mail("alice@virt.test")[0]["Subject"] == "queued offline"
    t.wait_queue_empty()
    assert "Mail queue is empty" in run_as(t, "mailq", []).stdout.decode()


def test_bs_mode_speaks_smtp_on_stdin(tern):
    script = (b"EHLO me\r\nMAIL FROM:<me@example.org>\r\nRCPT TO:<alice@virt.test>\r\nDATA\r\n"
              b"Subject: bs mode\r\n\r\n..stuffed\r\n.\r\nQUIT\r\n")
    r = run_as(tern, "sendmail", ["-bs"], script)
    out = r.stdout.decode()
    assert r.returncode == 0, r.stderr
    assert re.search(r"^250 2\.0\.0 Ok: queued as [0-9A-F]{16}\r$", out, re.M), out
    m = tern.wait_for_mail("alice@virt.test")[0]
    assert m["Subject"] == "bs mode" and m.get_payload() == ".stuffed\n"
