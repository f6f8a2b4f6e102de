"""The local submission socket queue_directory/public/submit (issue 7 item
12): a silent client is dropped after local_submit_timeout, and beyond
local_submit_connection_limit new connections are refused while sendmail
works again once the others leave."""

import os
import socket
import time

from conftest import wait_until


def connect(t):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(os.path.join(t.queue, "public", "submit"))
    return s


def read_all(s):
    out = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            return out
        out += chunk


def test_silent_client_is_dropped_after_the_deadline(make_tern):
    t = make_tern({"local_submit_timeout": "2s"})
    start = time.monotonic()
    silent = connect(t)
    # A client that sends half a request and stops is dropped the same way.
    partial = connect(t)
    partial.sendall(b"TERNQ1\nS")
    assert read_all(silent) == b""  # closed by the daemon, nothing answered
    assert read_all(partial) == b""
    assert time.monotonic() - start >= 1.5
    wait_until(lambda: t.log().count("timeout after") == 2, what="both timeouts logged")
    silent.close()
    partial.close()
    # The daemon still serves sendmail.
    t.run("sendmail", "-i", "-f", "s@example.org", "alice@virt.test", input=b"Subject: after\n\nx\n")
    assert t.wait_for_mail("alice@virt.test")[0]["Subject"] == "after"


def test_connection_cap(make_tern):
    t = make_tern({"local_submit_timeout": "60s", "local_submit_connection_limit": "3"})
    held = [connect(t) for _ in range(3)]
    # Beyond the cap: answered at once with a temporary error and closed.
    extra = connect(t)
    assert read_all(extra).startswith(b"ERR temp too many local submissions")
    extra.close()
    r = t.run("sendmail", "-i", "-f", "s@example.org", "alice@virt.test", input=b"Subject: full\n\nx\n",
              check=False)
    assert r.returncode == 75, r.stderr
    assert b"too many local submissions" in r.stderr
    assert "local_submit_connection_limit" in t.log()
    for s in held:
        s.close()

    def submitted():
        r = t.run("sendmail", "-i", "-f", "s@example.org", "alice@virt.test", input=b"Subject: room\n\nx\n",
                  check=False)
        return r.returncode == 0
    wait_until(submitted, what="sendmail to get through once the held connections left")
    msgs = t.wait_for_mail("alice@virt.test")
    assert [m["Subject"] for m in msgs] == ["room"]
