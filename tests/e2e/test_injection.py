"""Injection through envelope addresses (RELIABILITY.md #15, #16, #17, #20):
shell metacharacters and expansion syntax in senders and recipients are
data, never code: no command runs and no file appears because of them, the
log shows them literally, a mailbox_command sees them only with every
metacharacter replaced by `_`, and no address trick makes tern relay from
outside mynetworks."""

import os
import re
import smtplib

from conftest import ME, PRIVS, RawSMTP, recorded_runs, recording_command, wait_until

METACHAR_SENDER = '"() { :;}; echo pwned `id` $HOME \'q\' ;touch${IFS}pwned;"@x.example'
SAFE = re.compile(r"^[A-Za-z0-9@.+_=\-\x80-\U0010ffff]*$")


def expect_replies(c, expected):
    """RCPT for each address; the reply must start with the code given."""
    for rcpt, want in expected.items():
        code, text = c.cmd(f"RCPT TO:<{rcpt}>")
        assert text[:9] == want, (rcpt, text)
        if code == 554:
            assert "Relay access denied" in text


def no_pwned_anywhere(*roots):
    for p in ("/pwned", "/tmp/pwned", os.path.join(os.getcwd(), "pwned"), "/tmp/tern-pwned"):
        assert not os.path.exists(p), p
    for root in roots:
        for dirpath, dirs, files in os.walk(root):
            assert "pwned" not in files and "pwned" not in dirs, dirpath


def session(t, source="127.0.0.1"):
    c = RawSMTP(t.port, source=source)
    assert c.reply()[0] == 220
    assert c.cmd("EHLO client.example")[0] == 250
    return c


def test_metacharacter_senders_and_recipients_run_nothing(make_tern, workdir):
    """#15: with mailbox_command set, metacharacters reach no shell; pipe and
    file targets never come from an address a client sent."""
    script, out = recording_command(workdir)
    t = make_tern({"mailbox_command": script, "default_privs": PRIVS})
    c = session(t)
    # Unquoted, ';' is not an address character: a syntax error, nothing more.
    assert c.cmd("MAIL FROM:<;touch${IFS}pwned;@x>")[1][:9] == "501 5.1.7"
    assert c.cmd(f"MAIL FROM:<{METACHAR_SENDER}>")[0] == 250
    expected = {
        '"|touch /tmp/tern-pwned"@local.test': "550 5.1.1",
        '"|id"@local.test': "550 5.1.1",
        '"/tmp/tern-pwned"@local.test': "550 5.1.1",
        '"/etc/passwd"@local.test': "550 5.1.1",
        ";id;@local.test": "501 5.1.3",
    }
    expect_replies(c, expected)
    assert c.cmd(f"RCPT TO:<{ME}@local.test>")[0] == 250
    assert c.cmd("DATA")[0] == 354
    code, text = c.cmd("Subject: metachar\r\n\r\n`id` $(id) ${run{id}}\r\n.")
    assert code == 250, text
    c.cmd("QUIT")
    wait_until(lambda: recorded_runs(out), what="the mailbox_command to run")
    t.wait_queue_empty()
    # Exactly one run: the configured command for the one valid recipient.
    assert len(recorded_runs(out)) == 1
    assert recorded_runs(out)[0]["argv"] == [script]
    no_pwned_anywhere(workdir)
    assert "uid=" not in t.log()


def test_expansion_syntax_stays_literal(make_tern, workdir):
    """#16: ${run{id}}, $(id), %u and $user are names no user has."""
    script, out = recording_command(workdir)
    t = make_tern({"mailbox_command": script, "default_privs": PRIVS})
    c = session(t)
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
    expected = {
        "${run{id}}@local.test": "550 5.1.1",
        '"$(id)"@local.test': "550 5.1.1",
        "$(id)@local.test": "501 5.1.3",  # '(' is no address character unquoted
        "$user@local.test": "550 5.1.1",
        "${run{id}}@virt.test": "550 5.1.1",
        "$user@virt.test": "550 5.1.1",
        "%u@virt.test": "550 5.1.1",
        "%u@local.test": "550 5.1.1",
    }
    expect_replies(c, expected)
    c.cmd("QUIT")
    log = t.log()
    # The log shows what the client sent, unexpanded, once per refusal.
    for literal in ("${run{id}}@local.test", "$user@local.test", "%u@local.test", '"$(id)"@local.test'):
        assert f"to=<{literal}>" in log, literal
    assert "uid=" not in log and f"/{ME}@" not in log
    assert recorded_runs(out) == []
    assert not os.path.exists(t.vmail) or not any(files for _, _, files in os.walk(t.vmail))
    assert os.listdir(t.spool) == []


def test_mailbox_command_environment_is_sanitized_and_needs_no_shell(make_tern, workdir):
    """#17: SENDER has every metacharacter replaced by '_'; the command runs
    without /bin/sh (which would add PWD to the environment) unless its text
    has shell syntax."""
    script, out = recording_command(workdir)
    t = make_tern({"mailbox_command": script, "default_privs": PRIVS})
    with smtplib.SMTP("127.0.0.1", t.port) as s:
        s.sendmail(METACHAR_SENDER, [f"{ME}+tag@local.test"], b"Subject: env\r\n\r\nx\r\n")
    wait_until(lambda: recorded_runs(out), what="the mailbox_command to run")
    env = recorded_runs(out)[0]["env"]
    # Python itself adds LC_CTYPE when started in the C locale (PEP 538).
    if env.get("LC_CTYPE") == "C.UTF-8":
        del env["LC_CTYPE"]
    assert set(env) == {"PATH", "SHELL", "HOME", "USER", "LOGNAME", "SENDER", "RECIPIENT", "LOCAL", "DOMAIN",
                        "EXTENSION"}, env
    for key in ("SENDER", "RECIPIENT", "LOCAL", "DOMAIN", "EXTENSION", "USER", "LOGNAME"):
        assert SAFE.match(env[key]), (key, env[key])
    assert env["SENDER"].endswith("@x.example") and "echo_pwned" in env["SENDER"]
    assert env["EXTENSION"] == "tag"
    assert env["RECIPIENT"] == f"{ME}@local.test"

    # With shell syntax in the configured text, sh runs it (and adds PWD).
    t.stop()
    t.params["mailbox_command"] = f"{script} ; true"
    t.write_config()
    t.start()
    with smtplib.SMTP("127.0.0.1", t.port) as s:
        s.sendmail("a@example.org", [f"{ME}@local.test"], b"Subject: env2\r\n\r\nx\r\n")
    wait_until(lambda: len(recorded_runs(out)) == 2, what="the second run")
    assert "PWD" in recorded_runs(out)[1]["env"]


def test_relay_battery_from_outside_queues_nothing_remote(make_tern):
    """#20: from 127.0.0.2 (outside mynetworks) every address trick is
    refused as relaying or is a local recipient; nothing is ever queued for
    a remote host."""
    t = make_tern()
    c = session(t, source="127.0.0.2")
    assert c.cmd("MAIL FROM:<a@example.org>")[0] == 250
    expected = {
        "u%ext.test@local.test": "554 5.7.1",
        "ext.test!u@local.test": "554 5.7.1",
        "@local.test:u@ext.test": "554 5.7.1",
        '"u@ext.test"@local.test': "554 5.7.1",
        "u@ext.test@local.test": "501 5.1.3",
        "u@[192.0.2.1]": "554 5.7.1",
        "u@ext.test": "554 5.7.1",
        "u@ext.test.": "554 5.7.1",
        "u@local.test.": "550 5.1.1",
        "U@LOCAL.TEST": "550 5.1.1",
        f"{ME.upper()}@LOCAL.TEST": "250 2.1.5",
        "alice@VIRT.TEST": "250 2.1.5",
    }
    expect_replies(c, expected)
    assert c.cmd("DATA")[0] == 354
    assert c.cmd("Subject: battery\r\n\r\nx\r\n.")[0] == 250
    # Whatever reached the queue names no remote host.
    for name in t.queue_files():
        try:
            with open(os.path.join(t.queue, name), "rb") as f:
                data = f.read()
        except FileNotFoundError:
            continue  # delivered meanwhile
        assert b"ext.test" not in data.split(b"\nM", 1)[0] and b"192.0.2.1" not in data
    t.wait_for_mail("alice@virt.test")
    wait_until(lambda: t.mbox(), what="local delivery")
    t.wait_queue_empty()
    assert len(t.mbox()) == 1
    for to in re.findall(r" to=<([^>]*)>, relay=", t.log()):
        assert to.lower().rstrip(".").split("@")[1] in ("local.test", "virt.test"), to
    assert "status=deferred" not in t.log()
