"""Per-client connection limit (RELIABILITY.md #26): 60 connections from
one outside address with a limit of 50 -> the 51st to 60th get
`421 4.7.0 Error: too many connections` and are closed; another client is
still served at once; once everyone has left, the daemon holds as many
file descriptors as before (no leak per refused or closed connection)."""

import os

from conftest import RawSMTP, wait_until


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_sixty_connections_limit_fifty_and_fds_return_to_baseline(make_tern):
    t = make_tern({"smtpd_client_connection_count_limit": "50"})
    # One full session first, so that lazily opened files (the log) are open.
    warm = RawSMTP(t.port)
    assert warm.reply()[0] == 220
    assert warm.cmd("QUIT")[0] == 221
    warm.close()
    baseline = fd_count(t.proc.pid)

    clients = []
    for i in range(60):
        c = RawSMTP(t.port, source="127.0.0.2")
        clients.append(c)
        code, text = c.reply()
        if i < 50:
            assert code == 220, (i, text)
        else:
            assert text.startswith("421 4.7.0") and "too many connections" in text, (i, text)
            assert c.closed()
    other = RawSMTP(t.port, source="127.0.0.3")
    assert other.reply()[0] == 220
    assert other.cmd("NOOP")[0] == 250
    # The 50 held sessions still work.
    assert clients[0].cmd("NOOP")[0] == 250
    assert clients[49].cmd("NOOP")[0] == 250
    other.close()
    for c in clients:
        c.close()
    wait_until(lambda: fd_count(t.proc.pid) <= baseline, timeout=15,
               what=f"fd count back to the baseline of {baseline}")
    # And the freed slots are usable again by the same client.
    again = RawSMTP(t.port, source="127.0.0.2")
    assert again.reply()[0] == 220
