"""Two rewriting parameters that were documented but never read (issue 7,
item 8): alias_recursion_limit bounces an alias chain nested deeper than
the limit with 5.4.6, as Postfix does, and propagate_unmatched_extensions
decides whether `a+x` aliased by `a: b` becomes `b+x`."""

import smtplib

from conftest import wait_until


def send(t, rcpts, subject, sender="s@example.org"):
    with smtplib.SMTP("127.0.0.1", t.port) as s:
        s.sendmail(sender, rcpts, f"Subject: {subject}\r\n\r\nbody\r\n".encode())


def test_alias_recursion_limit_bounces_deeper_chains(make_tern):
    t = make_tern({"alias_recursion_limit": "3"}, start=False)
    t.write_file("aliases", "postmaster: root\n"
                            "deep1: deep2\ndeep2: deep3\ndeep3: deep4\ndeep4: alice@virt.test\n"
                            "ok1: ok2\nok2: ok3\nok3: bob@virt.test\n")
    t.start()
    send(t, ["deep1@local.test"], "four levels", sender="")  # from <>: a bounce to a remote sender would stay queued (no remote delivery here)
    send(t, ["ok1@local.test"], "three levels")
    assert t.wait_for_mail("bob@virt.test")[0]["Subject"] == "three levels"
    wait_until(lambda: "to=<deep1@local.test>" in t.log() and "status=bounced" in t.log(), what="the bounce")
    line = next(l for l in t.log().splitlines() if "to=<deep1@local.test>" in l)
    assert "dsn=5.4.6" in line and "alias database loop" in line, line
    t.wait_queue_empty()
    assert t.maildir("alice@virt.test") == []


def test_propagate_unmatched_extensions_alias(make_tern):
    t = make_tern({"propagate_unmatched_extensions": "canonical, virtual, alias"}, start=False)
    # team+promo has its own entry: only a propagated extension reaches it.
    t.write_file("aliases", "postmaster: root\nsales: team\nteam+promo: alice@virt.test\nteam: bob@virt.test\n")
    t.start()
    send(t, ["sales+promo@local.test"], "with extension")
    send(t, ["sales@local.test"], "without")
    assert t.wait_for_mail("alice@virt.test")[0]["Subject"] == "with extension"
    assert t.wait_for_mail("bob@virt.test")[0]["Subject"] == "without"
    t.wait_queue_empty()
    assert len(t.maildir("alice@virt.test")) == 1 and len(t.maildir("bob@virt.test")) == 1


def test_alias_extension_not_propagated_by_default(make_tern):
    t = make_tern(start=False)
    t.write_file("aliases", "postmaster: root\nsales: team\nteam+promo: alice@virt.test\nteam: bob@virt.test\n")
    t.start()
    send(t, ["sales+promo@local.test"], "default")
    assert t.wait_for_mail("bob@virt.test")[0]["Subject"] == "default"
    t.wait_queue_empty()
    assert t.maildir("alice@virt.test") == []
