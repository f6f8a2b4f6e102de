"""The command line: `-c FILE` is read before or after the command, for
every command (issue 7 item 14; README says every command reads -c)."""

import os
import smtplib
import subprocess

from conftest import TERN, wait_until


def run(*argv, input=None):
    return subprocess.run([TERN, *argv], input=input, capture_output=True, text=True, timeout=60)


def test_config_option_after_the_command(make_tern):
    t = make_tern(start=False)
    t.params["myhostname"] = "after.test.example"
    t.write_config()
    env_free = {k: v for k, v in os.environ.items() if k != "TERN_CONFIG"}
    for argv in (["check", "-c", t.config],
                 ["config", "-c", t.config, "myhostname"],
                 ["config", "myhostname", "-c", t.config],
                 ["queue", "list", "-c", t.config],
                 ["queue", "-c", t.config, "list"],
                 ["user", "list", "-c", t.config],
                 ["user", "list", "--config", t.config]):
        r = subprocess.run([TERN, *argv], capture_output=True, text=True, timeout=60, env=env_free)
        assert r.returncode == 0, (argv, r.stderr)
        assert "not expected" not in r.stderr
    assert run("config", "myhostname", "-c", t.config).stdout.strip() == "myhostname = after.test.example"
    assert "Mail queue is empty" in run("queue", "list", "-c", t.config).stdout
    assert "alice@virt.test" in run("user", "list", "-c", t.config).stdout
    # The file given after the command is the one read: a missing file fails.
    missing = os.path.join(t.base, "missing.cf")
    r = run("check", "-c", missing)
    assert r.returncode != 0 and "missing.cf" in r.stderr


def test_serve_with_config_after_the_command(make_tern):
    t = make_tern(start=False)
    t.start(argv=[TERN, "serve", "-c", t.config])
    with smtplib.SMTP("127.0.0.1", t.port) as s:
        code, _ = s.ehlo("client.example")
        assert code == 250
        s.sendmail("s@example.org", ["alice@virt.test"], b"Subject: c after serve\r\n\r\nx\r\n")
    assert t.wait_for_mail("alice@virt.test")[0]["Subject"] == "c after serve"


def test_sendmail_keeps_its_own_options(make_tern):
    t = make_tern(start=False)
    # sendmail's argv is sendmail's: -c is not one of its options, -C is.
    r = run("sendmail", "-C", t.config, "-bp")
    assert r.returncode == 0 and "Mail queue is empty" in r.stdout, r.stderr
    r = run("-c", t.config, "sendmail", "-bp")
    assert r.returncode == 0 and "Mail queue is empty" in r.stdout, r.stderr
