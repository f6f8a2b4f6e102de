"""imap_processes (roles/imap_worker.h): IMAP connections spread over
worker processes, each with its own open file limit, so that a site holds
more sessions than one process's limit allows (issue 10's 50,000 IDLE
clients under a hard limit of 20,000). A process whose share of descriptors
is spent stops accepting and the others take the connections; new mail
delivered by the main process reaches IDLE sessions in every worker
(inotify); SIGHUP and SIGTERM reach the workers; a worker that dies is
reported and the others go on; the workers end with the daemon, even after
kill -9."""

import asyncio
import imaplib
import os
import re
import resource
import signal
import smtplib
import socket
import subprocess

import pytest

from conftest import free_port, wait_until

ALICE = "alice@virt.test"


def deliver(tern, subject):
    msg = f"From: s@example.org\r\nTo: {ALICE}\r\nSubject: {subject}\r\n\r\nhello\r\n"
    with smtplib.SMTP("127.0.0.1", tern.port, timeout=30) as s:
        s.sendmail("s@example.org", [ALICE], msg)


def worker_pids(tern, count):
    """The workers' pids, from their start lines in the log."""
    def started():
        return dict(re.findall(r"\[(\d+)\]: IMAP worker process (\d+) started", tern.log()))
    wait_until(lambda: len(started()) >= count, what=f"{count} IMAP worker process(es) to start")
    return sorted(int(p) for p in started())


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def start_with_workers(make_tern, processes, nofile=None, extra=None):
    port = free_port()
    t = make_tern({"imap_listen": f"127.0.0.1:{port}", "imap_processes": str(processes),
                   "mail_max_userip_connections": "0", "smtpd_sasl_failure_sleep_time": "0", **(extra or {})},
                  start=False)
    t.imap_port = port
    t.start(preexec=(lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))) if nofile else None)
    return t, worker_pids(t, processes - 1)


def socket_inodes(pid):
    out = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            out.add(target[8:-1])
    return out


def server_socket_owners(pids, imap_port, client_ports):
    """Which of `pids` holds the server side of each client connection:
    /proc/net/tcp gives the socket's inode, /proc/PID/fd who holds it."""
    inode_of_port = {}
    for table in ("/proc/net/tcp",):
        with open(table) as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                local, remote, inode = cols[1], cols[2], cols[9]
                if int(local.split(":")[1], 16) == imap_port:
                    inode_of_port[int(remote.split(":")[1], 16)] = inode
    owner = {inode: pid for pid in pids for inode in socket_inodes(pid)}
    return [owner.get(inode_of_port.get(p)) for p in client_ports]


def test_sessions_past_one_process_limit_spread_and_all_hear_of_new_mail(make_tern):
    """With 384 descriptors a process takes 208 IMAP sessions (the rest is
    its loops' and the reserve's), so 3 x 208 sessions fill all three
    processes exactly, however the kernel hands out the connections: none
    takes more than its share, each says so once; one delivery (by the main
    process) is pushed to every IDLE session, in whichever process, well
    before the 30-second poll."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1000:
        pytest.skip(f"the test client needs 1000 descriptors; the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1000) if hard == resource.RLIM_INFINITY else min(hard, max(soft, 1000)), hard))
    t, workers = start_with_workers(make_tern, 3, nofile=384)
    deliver(t, "before")
    t.wait_for_mail(ALICE)
    per_process = 208
    n = 3 * per_process

    async def main():
        conns = []
        for _ in range(n):
            reader, writer = await asyncio.open_connection("127.0.0.1", t.imap_port)
            assert (await asyncio.wait_for(reader.readline(), 20)).startswith(b"* OK")
            writer.write(b"a LOGIN alice@virt.test secret\r\nb SELECT INBOX\r\nc IDLE\r\n")
            while True:
                line = await asyncio.wait_for(reader.readline(), 20)
                assert line, "closed"
                if line[:2] in (b"a ", b"b "):
                    assert line[2:4] == b"OK", line
                if line.startswith(b"+ "):
                    break
            conns.append((reader, writer))
        ports = [w.get_extra_info("sockname")[1] for _, w in conns]
        owners = server_socket_owners([t.proc.pid, *workers], t.imap_port, ports)
        assert None not in owners, "a session's server socket was not found in any tern process"
        counts = {pid: owners.count(pid) for pid in [t.proc.pid, *workers]}
        assert all(c == per_process for c in counts.values()), counts
        deliver(t, "to all of you")

        async def told(reader):
            while True:
                line = await asyncio.wait_for(reader.readline(), 10)
                assert line, "closed"
                if line == b"* 2 EXISTS\r\n":
                    return
        await asyncio.gather(*(told(r) for r, _ in conns))
        for _, w in conns:
            w.close()

    asyncio.run(main())
    log = t.log()
    assert "Too many open files" not in log
    full = re.findall(r"\[(\d+)\]: warning: imap: (\d+) sessions: this process's share of descriptors is used", log)
    assert sorted(int(pid) for pid, _ in full) == sorted([t.proc.pid, *workers]), full
    assert all(int(c) == per_process for _, c in full), full


def idle_in_every_process(t, workers, per_process_tries=60):
    """IDLE sessions until each process holds one; returns (socket, pid) pairs."""
    held, seen = [], set()
    for _ in range(per_process_tries * (len(workers) + 1)):
        s = socket.create_connection(("127.0.0.1", t.imap_port), timeout=20)
        f = s.makefile("rb")
        assert f.readline().startswith(b"* OK")
        s.sendall(b"a LOGIN alice@virt.test secret\r\nb SELECT INBOX\r\nc IDLE\r\n")
        while not f.readline().startswith(b"+ "):
            pass
        pid = server_socket_owners([t.proc.pid, *workers], t.imap_port, [s.getsockname()[1]])[0]
        held.append((s, f, pid))
        seen.add(pid)
        if len(seen) == len(workers) + 1:
            return held
    raise AssertionError(f"sessions went to {len(seen)} of {len(workers) + 1} processes")


def test_sigterm_ends_every_worker_and_its_sessions_get_bye(make_tern):
    t, workers = start_with_workers(make_tern, 3)
    held = idle_in_every_process(t, workers)
    assert t.stop() == 0
    for pid in workers:
        assert not alive(pid), f"worker {pid} outlived the daemon"
    for s, f, pid in held:
        rest = f.read()
        assert b"* BYE" in rest, (pid, rest)
        s.close()
    assert t.log().count("IMAP worker process") >= 2 * len(workers)  # started, stopped


def test_kill9_of_the_daemon_ends_the_workers_and_frees_the_queue(make_tern):
    t, workers = start_with_workers(make_tern, 2)
    t.kill9()
    wait_until(lambda: not any(alive(p) for p in workers), what="the workers to end with the daemon")
    t.start()  # the queue lock is free: no worker kept it
    c = imaplib.IMAP4("127.0.0.1", t.imap_port, timeout=30)
    c.login(ALICE, "secret")
    c.logout()


def test_reload_reaches_the_workers_and_a_dead_worker_is_reported(make_tern):
    t, workers = start_with_workers(make_tern, 3)
    t.reload()
    wait_until(lambda: all(f"[{p}]: IMAP worker process" in t.log() and
                           re.search(rf"\[{p}\]: IMAP worker process \d+: configuration reloaded", t.log())
                           for p in workers), what="every worker to reload")
    # A worker killed on its own: the main process says so, and the others
    # (with the main process) take every later connection.
    victim = workers[0]
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: f"IMAP worker process (pid {victim}) ended by signal 9" in t.log(),
               what="the main process to report the dead worker")
    for _ in range(20):
        c = imaplib.IMAP4("127.0.0.1", t.imap_port, timeout=30)
        c.login(ALICE, "secret")
        assert c.select("INBOX")[0] == "OK"
        c.logout()
    assert alive(workers[1])
    assert t.stop() == 0
    assert not alive(workers[1])


def listening_inodes(ports):
    """Socket inodes of the TCP listeners on `ports`."""
    out = set()
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            cols = line.split()
            if cols[3] == "0A" and int(cols[1].split(":")[1], 16) in ports:
                out.add(cols[9])
    return out


def uid_of(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Uid:"):
                return int(line.split()[2])  # effective


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to test the privilege drop")
def test_as_root_workers_run_as_mail_owner_and_their_helpers_hold_no_listener(make_tern):
    """Started by root with mail_owner: every worker runs as mail_owner,
    each has a root-side helper of its own (three in all), no helper holds
    a listening socket (they are started before the bind), new mail reaches
    IDLE sessions in every process, and stopping the daemon ends them all."""
    import pwd
    owner = pwd.getpwnam("tern").pw_uid
    t, workers = start_with_workers(make_tern, 3, extra={"mail_owner": "tern"})
    children = [int(p) for p in
                subprocess.run(["pgrep", "-P", str(t.proc.pid)], capture_output=True, text=True).stdout.split()]
    helpers = [p for p in children if p not in workers]
    assert sorted(set(children) & set(workers)) == workers
    assert len(helpers) == 3, children
    assert all(uid_of(p) == 0 for p in helpers)
    assert all(uid_of(p) == owner for p in [t.proc.pid, *workers])
    listeners = listening_inodes({t.port, t.imap_port})
    assert len(listeners) == 2
    for p in helpers:
        assert not socket_inodes(p) & listeners, f"helper {p} holds a listening socket"
    held = idle_in_every_process(t, workers)
    deliver(t, "to every process")
    for s, f, pid in held:
        s.settimeout(10)
        while f.readline() != b"* 1 EXISTS\r\n":
            pass
        s.close()
    # A reload reads main.cf and the user database as mail_owner.
    os.chmod(os.path.join(t.base, "users"), 0o644)
    t.reload()
    wait_until(lambda: len(re.findall(r"IMAP worker process \d+: configuration reloaded", t.log())) == 2,
               what="both workers to reload (through their own helpers)")
    assert "reload failed" not in t.log()
    assert t.stop() == 0
    assert not any(alive(p) for p in [*workers, *helpers])
