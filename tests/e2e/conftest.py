"""Test harness for end-to-end tests: starts the real build/tern on a
generated configuration in a fresh directory, on free loopback ports, and
stops it afterwards. Tests talk to it with real clients (smtplib, swaks,
curl, raw sockets) and read mailboxes with Python's mailbox module."""

import fcntl
import getpass
import mailbox
import os
import shutil
import random
import signal
import socket
import subprocess
import tempfile
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TERN = os.environ.get("TERN_BINARY", os.path.join(ROOT, "build", "tern"))
ME = getpass.getuser()
# The user that alias commands and files run as: tern never runs them as root.
PRIVS = "nobody" if os.geteuid() == 0 else ME
# Set by scripts/test.sh when TERN_BINARY is the ASan/UBSan build. A test
# that cannot work there (e.g. one that bounds RSS) skips with
# pytest.mark.skipif(SANITIZED, reason=...), saying why.
SANITIZED = os.environ.get("TERN_SANITIZED") == "1"


def sanitizer_runtime():
    """The ASan runtime the binary loads when it links it dynamically (gcc),
    which must then come first in LD_PRELOAD, before a test's fault-injection
    shim; None when the runtime is inside the executable (clang's default),
    which is first by itself."""
    out = subprocess.run(["ldd", TERN], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if "libasan" in line and "=>" in line:
            return line.split("=>")[1].split()[0]
    return None


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
            return low, high
    except (OSError, ValueError):
        return 32768, 60999


def free_port():
    """A port that binds now, chosen outside the kernel's ephemeral range:
    a port from bind(0) is ephemeral, and any outgoing connection on the
    machine (another test's client) may take it as its local port before
    tern binds it. Below the range only other listeners compete, and start()
    retries on the rare collision with one of them."""
    low, high = _ephemeral_range()
    top = low - 1 if low > 11000 else 65535
    bottom = 10000 if low > 11000 else high + 1
    for _ in range(200):
        port = random.randint(bottom, top)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port outside the ephemeral range")


def wait_until(predicate, timeout=10.0, interval=0.02, what="condition"):
    """Polls predicate until it is true; fails the test after timeout
    (three times longer against the sanitizer build, a Debug build that runs
    several times slower, on a machine busy with the other test worker)."""
    deadline = time.monotonic() + timeout * (3 if SANITIZED else 1)
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def queue_lock_free(queue):
    """True when no tern process holds the queue directory's lock (a flock
    on the directory, roles/pid_file.cpp) or the queue does not exist yet."""
    try:
        fd = os.open(queue, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


class Tern:
    """One tern instance with its own configuration and state."""

    def __init__(self, base, overrides=None):
        self.base = base
        self.port = free_port()
        self.proc = None
        self.vmail = os.path.join(base, "vmail")
        self.spool = os.path.join(base, "spool")
        self.queue = os.path.join(base, "queue")
        self.logfile = os.path.join(base, "maillog")
        self.config = os.path.join(base, "main.cf")
        os.makedirs(self.spool, exist_ok=True)
        params = {
            "myhostname": "mx.test.example",
            "mydomain": "test.example",
            "myorigin": "local.test",
            "mydestination": "localhost, local.test",
            "virtual_mailbox_domains": "virt.test",
            "virtual_alias_domains": "alias.test",
            "virtual_mailbox_base": self.vmail,
            "user_database": f"passwd-file:{base}/users",
            "alias_maps": f"texthash:{base}/aliases",
            "virtual_alias_maps": f"texthash:{base}/virtual",
            "queue_directory": self.queue,
            "mail_spool_directory": self.spool,
            "smtpd_listen": f"127.0.0.1:{self.port}",
            "mynetworks": "127.0.0.1/32",
            "mail_owner": "",
            "maillog_file": self.logfile,
            "recipient_delimiter": "+",
            "smtpd_error_sleep_time": "0",
            "smtpd_timeout": "5s",
            "message_size_limit": "1048576",
            "smtpd_recipient_limit": "100",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "queue_run_delay": "1s",
            # No test asks the machine's resolver (network on loopback only):
            # the tests of client names turn this on with their own DNS server.
            "smtpd_peername_lookup": "no",
            # Remote mail never asks the machine's resolver: a DNS server
            # nobody runs (UDP port 9 on loopback) makes every MX lookup a
            # quick temporary failure, so remote recipients are deferred.
            # Tests of remote delivery name their own server or relayhost.
            "dns_resolver": "127.0.0.1:9",
            "dns_query_timeout": "2s",
        }
        if SANITIZED:
            # FORWARD_OFF_UNDER_ASAN: as root, every delivery to a system
            # user reads ~/.forward in a child forked without exec; under
            # GCC 12's ASan such a child can block for good on the
            # allocator's lock held by another thread at the fork (the
            # release build has no such lock). test_forward.py turns it on.
            params["forward_path"] = ""
        params.update(overrides or {})
        self.params = params
        self.write_file("aliases", f"postmaster: {ME}\n")
        self.write_file("virtual", "")
        self.write_config()

    def write_file(self, name, text):
        path = os.path.join(self.base, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def write_config(self):
        with open(self.config, "w") as f:
            for k, v in self.params.items():
                f.write(f"{k} = {v}\n")

    def run(self, *args, input=None, check=True, env=None):
        e = dict(os.environ)
        e.update(env or {})
        return subprocess.run([TERN, "-c", self.config, *args], input=input, capture_output=True,
                              text=isinstance(input, str) or input is None, check=check, env=e, timeout=60)

    def add_user(self, address, password="secret"):
        self.run("user", "add", address, "--password-stdin", input=password + "\n")

    def start(self, wrapper=None, env=None, preexec=None, argv=None, prefix=(), _attempt=0):
        """wrapper: a shell snippet run first in the same process (e.g. mounts
        inside a private mount namespace); tern is exec'ed after it. argv:
        instead of `tern -c main.cf serve`. prefix: a command tern runs under
        (e.g. strace -f -o FILE)."""
        assert self.proc is None
        given_env = env
        env = dict(env or {})
        if SANITIZED and "LD_PRELOAD" in env:
            runtime = sanitizer_runtime()
            if runtime is not None:
                env["LD_PRELOAD"] = runtime + " " + env["LD_PRELOAD"]
        self.stderr = open(os.path.join(self.base, "stderr.log"), "ab")
        argv = [*prefix, *(argv or [TERN, "-c", self.config, "serve"])]
        if wrapper:
            argv = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                    wrapper + ' && exec "$0" "$@"', *argv]
        self.proc = subprocess.Popen(argv, stdout=self.stderr, stderr=self.stderr,
                                     env={**os.environ, **env}, preexec_fn=preexec)

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"tern exited with {self.proc.returncode}: {self.read_stderr()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    return s.recv(1024).startswith(b"220")
            except OSError:
                return False

        try:
            wait_until(ready, what="tern to accept connections")
        except AssertionError as e:
            # Another listener took the port between free_port() and bind:
            # move this instance to a new port and start again.
            if "smtpd_listen" not in str(e) or "Address already in use" not in str(e) \
                    or self.params.get("smtpd_listen") != f"127.0.0.1:{self.port}" or _attempt >= 3:
                raise
            self.proc = None
            self.stderr.close()
            # Started as root with a mail_owner, the failed daemon's local
            # delivery process holds the queue lock until it sees the daemon
            # gone: wait for the lock, or the next start exits 75.
            wait_until(lambda: queue_lock_free(self.queue), what="the failed start's queue lock")
            self.port = free_port()
            self.params["smtpd_listen"] = f"127.0.0.1:{self.port}"
            self.write_config()
            return self.start(wrapper, given_env, preexec, argv, prefix, _attempt=_attempt + 1)
        return self

    def read_stderr(self):
        with open(os.path.join(self.base, "stderr.log"), "rb") as f:
            return f.read().decode(errors="replace")

    def log(self):
        try:
            with open(self.logfile, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc is None:
            return None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc = None
        self.stderr.close()
        if sig == signal.SIGTERM:
            # Stopped means the queue is free for the next start: as root
            # with a mail_owner, the local delivery process holds the lock
            # until it has seen the daemon go.
            wait_until(lambda: queue_lock_free(self.queue), what="the stopped daemon's queue lock")
        return rc

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def reload(self):
        self.proc.send_signal(signal.SIGHUP)

    # --- mailboxes -------------------------------------------------------
    def maildir_path(self, address):
        user, domain = address.split("@")
        return os.path.join(self.vmail, domain, user)

    def maildir(self, address):
        path = self.maildir_path(address)
        if not os.path.isdir(os.path.join(path, "new")):
            return []
        md = mailbox.Maildir(path, create=False)
        return [md[k] for k in md.keys()]

    def wait_for_mail(self, address, count=1, timeout=10):
        wait_until(lambda: len(self.maildir(address)) >= count, timeout=timeout,
                   what=f"{count} message(s) for {address}")
        return self.maildir(address)

    def mbox(self, user=ME):
        path = os.path.join(self.spool, user)
        if not os.path.exists(path):
            return []
        return list(mailbox.mbox(path, create=False))

    def queue_files(self):
        out = []
        for area in ("active", "hold", "corrupt", "tmp"):
            d = os.path.join(self.queue, area)
            if os.path.isdir(d):
                out += [f"{area}/{n}" for n in os.listdir(d)]
        return out

    def enqueue_offline(self, rcpts, body=b"Subject: offline\n\nqueued while tern was stopped\n",
                        sender="s@example.org"):
        """With the daemon stopped, `tern sendmail` writes a real queue
        file straight into queue/active; returns the new queue IDs."""
        assert self.proc is None, "enqueue_offline needs the daemon stopped"
        active = os.path.join(self.queue, "active")
        before = set(os.listdir(active)) if os.path.isdir(active) else set()
        r = self.run("sendmail", "-i", "-f", sender, *rcpts, input=body)
        assert r.returncode == 0, r.stderr
        return sorted(set(os.listdir(active)) - before)

    def wait_queue_empty(self, timeout=10):
        wait_until(lambda: not [f for f in self.queue_files() if f.startswith("active/")], timeout=timeout,
                   what="the active queue to drain")


def server_has_read(tern, client):
    """True when the server side of client's connection has no unread bytes
    in its kernel receive queue (/proc/net/tcp rx_queue is 0): everything the
    client sent has been read by tern. Lets a test wait for "the server got
    it" instead of sleeping."""
    local_port = client.sock.getsockname()[1]
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            lport = int(fields[1].split(":")[1], 16)
            rport = int(fields[2].split(":")[1], 16)
            if lport == tern.port and rport == local_port:
                return int(fields[4].split(":")[1], 16) == 0
    return False


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="tern-e2e-")
    os.chmod(d, 0o777)  # writable by PRIVS for command and file deliveries
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def make_tern(workdir):
    """Factory: make_tern(overrides=None, start=True) -> Tern."""
    made = []

    def factory(overrides=None, start=True, users=("alice@virt.test", "bob@virt.test")):
        t = Tern(workdir if not made else tempfile.mkdtemp(prefix="tern-e2e-", dir=workdir), overrides)
        for u in users:
            t.add_user(u)
        made.append(t)
        if start:
            t.start()
        return t

    yield factory
    for t in made:
        t.stop()


@pytest.fixture
def tern(make_tern):
    return make_tern()


class RawSMTP:
    """A bare socket client for what smtplib refuses to do (smuggling,
    pipelining, BDAT, malformed commands)."""

    def __init__(self, port, source="127.0.0.1", timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                             source_address=(source, 0))
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def reply(self):
        """Reads one (possibly multi-line) reply; returns (code, text)."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed; got " + repr(self.buf))
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode(errors="replace"))
            if len(line) < 4 or line[3:4] != b"-":
                break
        return int(lines[-1][:3]), "\n".join(lines)

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    @classmethod
    def at_data(cls, port, rcpt="alice@virt.test", sender="a@example.org"):
        """Greeting, EHLO, MAIL, RCPT and DATA done (each asserted): the
        returned client is ready for message content."""
        c = cls(port)
        assert c.reply()[0] == 220
        assert c.cmd("EHLO client.example")[0] == 250
        assert c.cmd(f"MAIL FROM:<{sender}>")[0] == 250
        assert c.cmd(f"RCPT TO:<{rcpt}>")[0] == 250
        assert c.cmd("DATA")[0] == 354
        return c

    def closed(self, timeout=10):
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (ConnectionResetError, socket.timeout):
            return False

    def close(self):
        self.sock.close()


def build_shim(workdir, name):
    """Compiles tests/e2e/shims/NAME.c into an LD_PRELOAD library in
    workdir; skips the test where no C compiler is installed."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip(f"no C compiler for the {name} shim")
    out = os.path.join(workdir, f"{name}.so")
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shims", f"{name}.c")
    subprocess.run([cc, "-shared", "-fPIC", "-O1", "-o", out, src, "-ldl"], check=True)
    return out


# A delivery command that records each run (argv, environment, ids, cwd) as
# one JSON line, reads the message, and exits with the given status.
RECORDER = """#!/usr/bin/python3
import json, os, sys
sys.stdin.buffer.read()
with open({out!r}, "a") as f:
    f.write(json.dumps({{"argv": sys.argv, "env": dict(os.environ), "uid": os.getuid(), "euid": os.geteuid(),
                         "gid": os.getgid(), "cwd": os.getcwd()}}) + "\\n")
sys.exit({code})
"""


def recording_command(workdir, name="record.py", code=0):
    """Writes a RECORDER script into workdir; returns (its path, its log)."""
    out = os.path.join(workdir, name + ".jsonl")
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write(RECORDER.format(out=out, code=code))
    os.chmod(path, 0o755)
    return path, out


def recorded_runs(out):
    """The runs a recording_command has logged so far, oldest first."""
    import json
    if not os.path.exists(out):
        return []
    with open(out) as f:
        return [json.loads(line) for line in f]


def fetchmail_argv(rc, workdir):
    """fetchmail with its lock in the test's directory: as root it keeps it
    in /var/run/fetchmail.pid whatever FETCHMAILHOME says, and two tests
    running at once then refuse each other ("another foreground fetchmail
    is running")."""
    return ["fetchmail", "-f", rc, "--pidfile", os.path.join(workdir, "fetchmail.pid")]
