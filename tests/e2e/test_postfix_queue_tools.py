"""Queue management as Postfix and Exim users type it (issue 9, item 7):
mailq / postqueue -p in Postfix's exact layout, postqueue -j JSON lines,
postqueue -f / -s site, postsuper -d/-h/-H/-r (IDs, ALL, -, queue names),
sendmail -q/-qf/-qff/-Mrm, and `tern queue ... --json`; all against a real
daemon with real deferred mail (a command alias that exits 75 until the
test opens its gate)."""

import json
import os
import re
import smtplib
import subprocess

import pytest

from conftest import PRIVS, SANITIZED, TERN, wait_until

HEADING = "----Queue ID----- --Size-- ---Arrival Time---- --Sender/Recipient------"
MSG_LINE = re.compile(r"^([0-9A-F]{16})([*!#]?) +(\d+) (\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d) (.+)$")


def gated(make_tern, domains=("local.test",), **params):
    """A daemon whose aliases gate@DOMAIN and stuck@DOMAIN run commands that
    defer (exit 75); gate@ delivers into out/ once the file `open` exists.
    Retries only when asked (back-off of an hour)."""
    t = make_tern(start=False)
    out = os.path.join(t.base, "out")
    os.makedirs(out)
    os.chmod(out, 0o777)
    gate = t.write_file("gate.sh", f"#!/bin/sh\nif [ -e {t.base}/open ]; then\n"
                                   f"  cat > {out}/$$.$(date +%s%N); exit 0\nfi\nexit 75\n")
    stuck = t.write_file("stuck.sh", "#!/bin/sh\nexit 75\n")
    os.chmod(gate, 0o755)
    os.chmod(stuck, 0o755)
    t.write_file("aliases", f"postmaster: root\ngate: |{gate}\nstuck: |{stuck}\n")
    t.params.update({"mydestination": ", ".join(("localhost",) + tuple(domains)),
                     "minimal_backoff_time": "3600s", "maximal_backoff_time": "3600s",
                     "default_privs": PRIVS, **params})
    t.write_config()
    t.start()
    t.out = out
    return t


def send(t, rcpts, subject, sender="s@example.org"):
    """Sends one message and waits until the daemon has tried (and deferred)
    every recipient; returns its queue ID."""
    before = t.log().count("status=deferred")
    with smtplib.SMTP("127.0.0.1", t.port) as s:
        s.sendmail(sender, rcpts, f"Subject: {subject}\r\n\r\n{subject} body\r\n".encode(),
                   mail_options=[] if sender.isascii() else ["SMTPUTF8"])
    wait_until(lambda: t.log().count("status=deferred") >= before + len(rcpts), what=f"{subject} to defer")
    qid = re.findall(r"([0-9A-F]{16}): from=<", t.log())[-1]  # messages are sent one at a time
    wait_until(lambda: os.path.exists(os.path.join(t.queue, "defer", qid)), what="the defer note")
    return qid


def tool(t, name, *args, input=None, check=True):
    """Runs the binary under another name (as the postqueue/postsuper/mailq
    symlinks an installation makes), with Postfix's -c config_dir."""
    link = os.path.join(t.base, name)
    if not os.path.exists(link):
        os.symlink(TERN, link)
    argv = [link, *args] if name in ("mailq", "sendmail") and "-c" in args else [link, "-c", t.base, *args]
    if name == "mailq":
        argv = [link]
    return subprocess.run(argv, input=input, capture_output=True, text=True, check=check, timeout=60,
                          env={**os.environ, "TERN_CONFIG": t.config})


def parse_mailq(text):
    """Parses Postfix's mailq layout strictly; returns (messages, summary)."""
    lines = text.split("\n")
    assert lines[-1] == ""
    lines = lines[:-1]
    if lines == ["Mail queue is empty"]:
        return [], None
    assert lines[0] == HEADING, lines[0]
    msgs, i = [], 1
    while not lines[i].startswith("-- "):
        m = MSG_LINE.match(lines[i])
        assert m, repr(lines[i])
        assert len(m.group(1) + m.group(2)) <= 17 and lines[i][17] == " " and lines[i][26] == " ", repr(lines[i])
        msg = {"id": m.group(1), "mark": m.group(2), "size": int(m.group(3)), "sender": m.group(5),
               "rcpts": []}
        i += 1
        reason = None
        while lines[i]:
            if lines[i].endswith(")") and lines[i].lstrip().startswith("("):
                # Postfix right-aligns "(reason)" to end in column 78.
                assert len(lines[i]) == 78 or lines[i].startswith("("), repr(lines[i])
                reason = lines[i].strip()[1:-1]
            else:
                assert lines[i].startswith(" " * 47) and lines[i][47] != " ", repr(lines[i])
                msg["rcpts"].append((lines[i][47:], reason))
            i += 1
        msgs.append(msg)
        i += 1  # the blank line
    m = re.fullmatch(r"-- (\d+) Kbytes in (\d+) Requests?\.", lines[i])
    assert m and i == len(lines) - 1, lines[i:]
    assert int(m.group(2)) == len(msgs)
    assert int(m.group(1)) == sum(x["size"] for x in msgs) // 1024
    return msgs, lines[i]


def files(t, area):
    d = os.path.join(t.queue, area)
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def test_mailq_layout_is_postfixs_under_every_name(make_tern):
    t = gated(make_tern)
    a = send(t, ["stuck@local.test", "gate@local.test"], "first")
    b = send(t, ["stuck@local.test"], "second", sender="")
    t.run("queue", "hold", b)
    texts = {"tern queue list": t.run("queue", "list").stdout,
             "mailq": tool(t, "mailq").stdout,
             "postqueue -p": tool(t, "postqueue", "-p").stdout,
             "sendmail -bp": t.run("sendmail", "-bp").stdout}
    assert len(set(texts.values())) == 1, texts
    msgs, summary = parse_mailq(texts["mailq"])
    assert [m["id"] for m in msgs] == [a, b]
    assert msgs[0]["mark"] == "" and msgs[1]["mark"] == "!"
    assert msgs[0]["sender"] == "s@example.org" and msgs[1]["sender"] == "MAILER-DAEMON"
    assert [r for r, _ in msgs[0]["rcpts"]] == ["stuck@local.test", "gate@local.test"]
    assert all(why and "exit 75" in why for _, why in msgs[0]["rcpts"]), msgs
    assert summary.endswith("in 2 Requests.")
    # Once gate@ is delivered, only stuck@ is listed for the first message.
    open(os.path.join(t.base, "open"), "w").close()
    tool(t, "postqueue", "-f")
    wait_until(lambda: os.listdir(t.out), what="gate@ to be delivered")
    wait_until(lambda: [r for r, _ in parse_mailq(t.run("queue", "list").stdout)[0][0]["rcpts"]]
               == ["stuck@local.test"], what="the delivered recipient to leave the listing")
    tool(t, "postsuper", "-d", "ALL")
    assert tool(t, "mailq").stdout == "Mail queue is empty\n"


def test_postqueue_j_is_json_lines(make_tern):
    t = gated(make_tern)
    a = send(t, ["stuck@local.test", "gate@local.test"], "json \"quoted\"", sender="o'hara+x@example.org")
    b = send(t, ["stuck@local.test"], "held")
    tool(t, "postsuper", "-h", b)
    out = tool(t, "postqueue", "-j").stdout
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["queue_id"] for r in rows] == [a, b]
    assert [r["queue_name"] for r in rows] == ["deferred", "hold"]
    assert rows[0]["sender"] == "o'hara+x@example.org"
    assert [x["address"] for x in rows[0]["recipients"]] == ["stuck@local.test", "gate@local.test"]
    assert all(x["delay_reason"] for x in rows[0]["recipients"])
    assert isinstance(rows[0]["arrival_time"], int) and rows[0]["message_size"] > 0
    assert rows[0]["forced_expire"] is False
    assert t.run("queue", "list", "--json").stdout == out


def test_postsuper_hold_release_requeue_delete(make_tern):
    t = gated(make_tern)
    held = send(t, ["gate@local.test"], "held one")
    other = send(t, ["gate@local.test"], "other one")
    r = tool(t, "postsuper", "-h", held)
    assert f"{held}: placed on hold" in r.stderr and "Placed on hold: 1 message" in r.stderr
    assert files(t, "hold") == [held] and held not in files(t, "active")
    # With the gate open, a flush delivers the other message but not the held one.
    open(os.path.join(t.base, "open"), "w").close()
    tool(t, "postqueue", "-f")
    wait_until(lambda: files(t, "active") == [], what="the other message to be delivered")
    delivered = [open(os.path.join(t.out, f)).read() for f in os.listdir(t.out)]
    assert any("other one body" in d for d in delivered) and not any("held one body" in d for d in delivered)
    assert files(t, "hold") == [held]
    # Released: the daemon is told and delivers it at once (back-off is an hour).
    r = tool(t, "postsuper", "-H", held)
    assert "Released from hold: 1 message" in r.stderr
    wait_until(lambda: any("held one body" in open(os.path.join(t.out, f)).read() for f in os.listdir(t.out)),
               what="the released message to be delivered")
    assert files(t, "hold") == []
    assert other


def test_postsuper_requeue_retries_now(make_tern):
    t = gated(make_tern)
    qid = send(t, ["gate@local.test"], "requeue me")
    open(os.path.join(t.base, "open"), "w").close()
    r = tool(t, "postsuper", "-r", qid)
    assert f"{qid}: requeued" in r.stderr
    wait_until(lambda: os.listdir(t.out), what="the requeued message to be delivered")
    wait_until(lambda: qid not in files(t, "active"), what="the queue file to go")
    # -r of a held message releases it (as Postfix's requeue from hold).
    os.unlink(os.path.join(t.base, "open"))
    held = send(t, ["gate@local.test"], "held requeue")
    tool(t, "postsuper", "-h", held)
    open(os.path.join(t.base, "open"), "w").close()
    tool(t, "postsuper", "-r", "ALL")
    wait_until(lambda: files(t, "hold") == [] and files(t, "active") == [], what="requeue ALL to deliver")
    assert "requeue of ALL requested" in t.log()


def test_postsuper_delete_all_deferred_and_from_stdin(make_tern):
    t = gated(make_tern)
    ids = [send(t, ["stuck@local.test"], f"m{i}") for i in range(4)]
    tool(t, "postsuper", "-h", ids[0])
    r = tool(t, "postsuper", "-d", ids[1])
    assert f"{ids[1]}: removed" in r.stderr and "Deleted: 1 message\n" in r.stderr
    assert ids[1] not in files(t, "active") and ids[1] not in files(t, "defer")
    r = tool(t, "postsuper", "-d", "-", input=f"{ids[2]}\n\n  {ids[3]}  \n")
    assert "Deleted: 2 messages" in r.stderr
    more = [send(t, ["stuck@local.test"], f"n{i}") for i in range(2)]
    r = tool(t, "postsuper", "-d", "ALL", "deferred")
    assert "Deleted: 2 messages" in r.stderr
    assert files(t, "active") == [] and files(t, "hold") == [ids[0]]  # hold is not "deferred"
    assert more
    r = t.run("queue", "delete", "ALL", "--json")
    assert json.loads(r.stdout) == {"action": "delete", "count": 1, "ids": [ids[0]], "missing": []}
    assert tool(t, "postqueue", "-p").stdout == "Mail queue is empty\n"


def test_ids_that_try_to_escape_are_refused(make_tern, workdir):
    t = gated(make_tern)
    qid = send(t, ["stuck@local.test"], "keep me")
    victim = os.path.join(workdir, "victim")
    open(victim, "w").close()
    os.makedirs(os.path.join(t.queue, "active", "ALL"), exist_ok=True)
    for args, stdin in ((("-d", "../x"), None), (("-d", "ALL/../"), None), (("-d", "../../../victim"), None),
                        (("-h", "../active/" + qid), None), (("-H", qid.lower()), None), (("-r", qid + "/"), None),
                        (("-d", "-"), f"{qid}\n../../../victim\n"), (("-d", "ALL", "../active"), None)):
        r = tool(t, "postsuper", *args, input=stdin, check=False)
        assert r.returncode == 64, (args, r.returncode, r.stderr)
        assert "removed" not in r.stderr
    for args in (("queue", "delete", "../x"), ("queue", "hold", "ALL/../"), ("queue", "show", "../../victim"),
                 ("sendmail", "-Mrm", "../x"), ("sendmail", "-Mrm", "ALL")):
        r = t.run(*args, check=False)
        assert r.returncode != 0, args
    r = tool(t, "postqueue", "-s", "../x", check=False)
    assert r.returncode == 64
    r = tool(t, "postqueue", "-s", "a\nflush", check=False)
    assert r.returncode == 64
    assert os.path.exists(victim) and files(t, "active") == sorted(["ALL", qid])
    msgs, _ = parse_mailq(t.run("queue", "list").stdout)
    assert [m["id"] for m in msgs] == [qid]


def test_postqueue_s_flushes_only_that_domain(make_tern):
    t = gated(make_tern, domains=("local.test", "other.test"))
    a = send(t, ["stuck@local.test"], "for local")
    b = send(t, ["stuck@other.test"], "for other")
    c = send(t, ["stuck@local.test", "stuck@other.test"], "for both")

    def tries(qid):
        return len(re.findall(rf"{qid}: to=<[^>]*>, .*status=deferred", t.log()))

    before = {q: tries(q) for q in (a, b, c)}
    assert tool(t, "postqueue", "-s", "Other.TEST").returncode == 0
    wait_until(lambda: tries(b) > before[b] and tries(c) > before[c], what="other.test's messages to be retried")
    # A second flush for other.test: by the time it has run, a wrongly
    # scheduled local.test message would have been tried too.
    mid = {q: tries(q) for q in (b, c)}
    tool(t, "postqueue", "-s", "other.test")
    wait_until(lambda: tries(b) > mid[b] and tries(c) > mid[c], what="the second flush")
    assert tries(a) == before[a], t.log()
    assert "queue flush for other.test requested" in t.log()
    # Nothing queued for the site: nothing happens, and that is not an error.
    assert tool(t, "postqueue", "-s", "nowhere.test").returncode == 0
    assert tool(t, "postqueue", "-f").returncode == 0
    wait_until(lambda: tries(a) > before[a], what="postqueue -f to retry local.test too")


def test_sendmail_queue_runs_and_exim_spellings(make_tern):
    t = gated(make_tern)
    qid = send(t, ["stuck@local.test"], "exim")

    def tries():
        return t.log().count(f"{qid}: to=<stuck@local.test>")

    for flag in ("-q", "-qf", "-qff"):
        n = tries()
        r = t.run("sendmail", flag, check=False)
        assert r.returncode == 0, (flag, r.stderr)
        wait_until(lambda: tries() > n, what=f"sendmail {flag} to retry")
    r = t.run("sendmail", "-Mrm", qid)
    assert f"{qid}: removed" in r.stderr
    assert files(t, "active") == []
    r = t.run("queue", "flush", "--json")
    assert json.loads(r.stdout) == {"action": "flush", "site": "", "ok": True}


def test_postqueue_without_daemon(make_tern):
    t = gated(make_tern)
    qid = send(t, ["stuck@local.test"], "offline")
    t.stop()
    r = tool(t, "postqueue", "-f", check=False)
    assert r.returncode == 75 and "not running" in r.stderr
    # Listing and postsuper work on the directory alone.
    assert [m["id"] for m in parse_mailq(tool(t, "postqueue", "-p").stdout)[0]] == [qid]
    r = tool(t, "postsuper", "-r", qid)
    assert r.returncode == 0 and f"{qid}: requeued" in r.stderr
    r = tool(t, "postsuper", "-d", qid)
    assert r.returncode == 0 and files(t, "active") == []


def test_tern_queue_verbs_speak_json(make_tern):
    t = gated(make_tern)
    qid = send(t, ["stuck@local.test"], "as json")
    shown = json.loads(t.run("queue", "show", qid, "--json").stdout)
    assert shown["queue_id"] == qid and shown["sender"] == "s@example.org"
    assert shown["recipients"] == [{"address": "stuck@local.test", "done": False}]
    assert "as json body" in shown["content"]
    r = t.run("queue", "hold", qid, "--json")
    assert json.loads(r.stdout) == {"action": "hold", "count": 1, "ids": [qid], "missing": []}
    r = t.run("queue", "hold", qid, "--json", check=False)  # already held
    assert r.returncode == 67 and json.loads(r.stdout)["missing"] == [qid]
    r = t.run("queue", "requeue", "ALL", "--json")
    assert json.loads(r.stdout) == {"action": "requeue", "count": 1, "ids": [qid], "missing": []}
    assert files(t, "hold") == [] and qid in files(t, "active")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_ordinary_users_get_77_before_a_file_is_opened(make_tern):
    t = gated(make_tern, mail_owner="tern")
    qid = send(t, ["stuck@local.test"], "private")
    for name in ("postqueue", "postsuper"):
        link = os.path.join(t.base, name)
        os.symlink(TERN, link)
    env = dict(os.environ)
    if SANITIZED:
        # LeakSanitizer cannot run under strace (ptrace): it would abort at
        # exit, and nobody could not even write that to the report folder.
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    for argv in (["postqueue", "-c", t.base, "-p"], ["postqueue", "-c", t.base, "-j"],
                 ["postsuper", "-c", t.base, "-d", "ALL"], ["postsuper", "-c", t.base, "-r", qid],
                 ["postsuper", "-c", t.base, "-h", qid]):
        r = subprocess.run(["strace", "-f", "-e", "trace=openat", "-o", os.path.join(t.base, "trace"),
                            "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                            os.path.join(t.base, argv[0]), *argv[1:]], capture_output=True, text=True, timeout=30,
                           env=env)
        assert r.returncode == 77 and "permission denied" in r.stderr, (argv, r.returncode, r.stderr)
        assert "private body" not in r.stdout
        trace = open(os.path.join(t.base, "trace")).read()
        assert os.path.join(t.queue, "active") not in trace, argv
    assert files(t, "active") == [qid]


def test_listing_survives_hostile_and_broken_queue_files(make_tern, workdir):
    t = gated(make_tern)
    good = send(t, ["stuck@local.test"], "good one", sender="ev\u00e9il@example.org")
    t.stop()  # the daemon would quarantine the broken ones at once
    active = os.path.join(t.queue, "active")
    data = open(os.path.join(active, good), "rb").read()
    secret = os.path.join(workdir, "secret")
    with open(secret, "w") as f:
        f.write("TERNQ1\nsecret")
    planted = {"0000000000000001": data[: len(data) // 2],  # cut inside the content
               "0000000000000002": data.replace(b"stuck@local.test", b"\x1b[2J\n\xff@local.test"[:16]),
               "0000000000000003": b"\x00" * 100}
    for name, blob in planted.items():
        with open(os.path.join(active, name), "wb") as f:
            f.write(blob)
    os.symlink(secret, os.path.join(active, "0000000000000004"))
    msgs, _ = parse_mailq(tool(t, "postqueue", "-p").stdout)
    by_id = {m["id"]: m for m in msgs}
    assert set(by_id) == {good, *planted, "0000000000000004"}
    assert by_id["0000000000000001"]["sender"].startswith("(unreadable queue file")
    assert by_id["0000000000000003"]["sender"].startswith("(unreadable queue file")
    assert by_id["0000000000000004"]["sender"].startswith("(unreadable queue file")  # never followed
    assert by_id["0000000000000002"]["rcpts"][0][0] == "?[2J??@local.tes"  # same length, one line
    rows = [json.loads(line) for line in tool(t, "postqueue", "-j").stdout.splitlines()]
    assert len(rows) == 5 and all("secret" not in json.dumps(r) for r in rows)
    assert {r["queue_id"]: r for r in rows}[good]["sender"] == "ev\u00e9il@example.org"
    assert {r["queue_id"]: r for r in rows}["0000000000000003"]["error"]
    r = tool(t, "postsuper", "-d", "0000000000000004")
    assert "Deleted: 1 message" in r.stderr
    assert open(secret).read() == "TERNQ1\nsecret"  # the link went, not its target
