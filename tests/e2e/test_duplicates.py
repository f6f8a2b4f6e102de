"""One message, one copy per mailbox: recipients of one message that lead
to the same final target (the same address spelt twice, an account and an
alias naming it, an account with and without a +extension, two aliases
running the same command) deliver it once, at acceptance and through the
queue, and a deferral of that target defers them all until one retry
delivers the only copy, across a restart too (Postfix's duplicate filter,
duplicate_filter_limit)."""

import os

from conftest import ME, wait_until
from test_scheduler import (counting_command, defer_maildir, repair_maildir, runs, send, stored, with_aliases,
                            x_ids)


def test_one_address_spelt_twice_delivers_once(tern):
    send(tern, [f"{ME.upper()}@LOCAL.TEST", f"{ME}@local.test."], b"X-Id: spelt\r\nSubject: s\r\n\r\nbody\r\n")
    tern.wait_queue_empty()
    box = tern.mbox(ME)
    assert x_ids(box) == ["spelt"]
    assert box[0]["Delivered-To"] == f"{ME}@local.test"


def test_account_and_alias_to_it_deliver_once(make_tern):
    t = make_tern(start=False)
    t.write_file("aliases", "team: alice@virt.test, bob@virt.test\n")
    t.start()
    send(t, ["alice@virt.test", "team@local.test"], b"X-Id: team\r\nSubject: t\r\n\r\nbody\r\n")
    t.wait_queue_empty()
    alice = t.maildir("alice@virt.test")
    assert x_ids(alice) == ["team"]
    assert x_ids(t.maildir("bob@virt.test")) == ["team"]
    assert alice[0]["Delivered-To"] == "alice@virt.test"


def test_extension_that_names_the_same_mailbox_delivers_once(tern):
    send(tern, ["alice@virt.test", "alice+tag@virt.test", "ALICE+other@virt.test"],
         b"X-Id: ext\r\nSubject: e\r\n\r\nbody\r\n")
    tern.wait_queue_empty()
    assert x_ids(tern.maildir("alice@virt.test")) == ["ext"]


def test_two_aliases_running_one_command_run_it_once(make_tern, workdir):
    script, out = counting_command(workdir, "cmd")
    open(os.path.join(workdir, "open"), "w").close()
    t = with_aliases(make_tern, f"c1: |{script}\nc2: |{script}\n")
    send(t, ["c1@local.test", "c2@local.test"], b"X-Id: cmd\r\n\r\nbody\r\n")
    t.wait_queue_empty()
    assert len(stored(out)) == 1
    assert runs(workdir, "cmd") == 1


def test_deferring_shared_target_delivers_once_after_retries_and_restart(make_tern):
    t = make_tern(start=False)
    t.write_file("aliases", "team: alice@virt.test, bob@virt.test\n")
    defer_maildir(t, "bob@virt.test")
    t.start()
    send(t, ["bob@virt.test", "team@local.test"], b"X-Id: shared\r\nSubject: d\r\n\r\nbody\r\n")
    wait_until(lambda: t.log().count("to=<bob@virt.test>") >= 3, timeout=20, what="bob's deliveries to defer")
    assert x_ids(t.maildir("alice@virt.test")) == ["shared"]
    # Both recipients stay queued for the one deferred target.
    assert len([f for f in t.queue_files() if f.startswith("active/")]) == 1
    t.stop()
    t.start()
    n = t.log().count("to=<bob@virt.test>")
    wait_until(lambda: t.log().count("to=<bob@virt.test>") >= n + 2, timeout=20, what="retries after the restart")
    assert x_ids(t.maildir("alice@virt.test")) == ["shared"]
    repair_maildir(t, "bob@virt.test")
    assert x_ids(t.maildir("bob@virt.test")) == ["shared"]
    assert x_ids(t.maildir("alice@virt.test")) == ["shared"]


def test_deferring_shared_command_runs_once_when_it_succeeds(make_tern, workdir):
    script, out = counting_command(workdir, "cmd")
    t = with_aliases(make_tern, f"c1: |{script}\nc2: alice@virt.test, |{script}\n")
    send(t, ["c1@local.test", "c2@local.test"], b"X-Id: gate\r\n\r\nbody\r\n")
    wait_until(lambda: runs(workdir, "cmd") >= 3, timeout=20, what="three attempts of the deferring command")
    open(os.path.join(workdir, "open"), "w").close()
    t.wait_queue_empty(timeout=15)
    assert len(stored(out)) == 1
    assert x_ids(t.maildir("alice@virt.test")) == ["gate"]
