"""A throwaway DNS server for the dns tests: Debian's `unbound`, run in the
foreground on a free port of 127.0.0.1 with its own configuration in a
temporary folder, serving only the records a test gives it (local-zone /
local-data; no root hints, no trust anchor, no recursion to the outside).

What it can serve: MX (also a null MX, `MX 0 .`), A, AAAA, CNAME, PTR
(`local-data-ptr`), NXDOMAIN for every other name under a declared zone,
and REFUSED for a "refuse" zone, which libunbound turns into SERVFAIL for
tern. The record order is kept (rrset-roundrobin: no), so any shuffling a
test sees is tern's. Stopped by its PID."""

import os
import socket
import struct
import subprocess
import tempfile

import pytest

from conftest import free_port, wait_until

UNBOUND = "/usr/sbin/unbound"


def _query(name, qtype=1):
    """A minimal DNS query packet (id 0x7e57, RD) for the readiness probe."""
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"
    return struct.pack(">HHHHHH", 0x7E57, 0x0100, 1, 0, 0, 0) + q + struct.pack(">HH", qtype, 1)


class DnsServer:
    def __init__(self, base, records=(), zones=("test.",), refuse=(), ptr=()):
        """records: unbound local-data strings ("a.test. MX 10 mx.a.test.");
        zones: names answered only from records (others NXDOMAIN);
        refuse: zones answered REFUSED; ptr: (address, name) pairs."""
        self.dir = tempfile.mkdtemp(prefix="dns-", dir=base)
        self.records, self.zones, self.refuse, self.ptr = list(records), zones, refuse, ptr
        self.proc = None
        self.port = None

    def _write_config(self):
        lines = [
            "server:",
            "  interface: 127.0.0.1",
            f"  port: {self.port}",
            "  do-daemonize: no",
            "  do-ip6: no",
            '  username: ""',
            '  chroot: ""',
            f'  directory: "{self.dir}"',
            '  pidfile: ""',
            "  use-syslog: no",
            f'  logfile: "{self.dir}/unbound.log"',
            "  log-queries: yes",
            "  verbosity: 1",
            "  access-control: 127.0.0.0/8 allow",
            '  module-config: "iterator"',
            "  rrset-roundrobin: no",
            "  num-threads: 1",
        ]
        lines += [f'  local-zone: "{z}" static' for z in self.zones]
        lines += [f'  local-zone: "{z}" refuse' for z in self.refuse]
        lines += [f'  local-data: "{r}"' for r in self.records]
        lines += [f'  local-data-ptr: "{a} {n}"' for a, n in self.ptr]
        lines += ["remote-control:", "  control-enable: no"]
        path = os.path.join(self.dir, "unbound.conf")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def _answers(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.2)
            try:
                s.sendto(_query("ready.test."), ("127.0.0.1", self.port))
                return s.recv(512)[:2] == b"\x7e\x57"
            except OSError:
                return False

    def start(self):
        for _attempt in range(5):
            self.port = free_port()
            conf = self._write_config()
            check = subprocess.run(["unbound-checkconf", conf], capture_output=True, text=True)
            assert check.returncode == 0, check.stdout + check.stderr
            self.proc = subprocess.Popen([UNBOUND, "-d", "-c", conf], stdout=subprocess.DEVNULL,
                                         stderr=open(os.path.join(self.dir, "stderr.log"), "w"))

            def up():
                if self.proc.poll() is not None:
                    return "exited"
                return self._answers()

            if wait_until(up, what="unbound to answer") != "exited":
                return self
            self.proc.wait()
            self.proc = None  # the port was taken meanwhile: try another
        raise AssertionError("unbound did not start: " + self.log())

    def log(self):
        out = ""
        for name in ("stderr.log", "unbound.log"):
            try:
                with open(os.path.join(self.dir, name)) as f:
                    out += f.read()
            except FileNotFoundError:
                pass
        return out

    @property
    def address(self):
        """The value for dns_resolver."""
        return f"127.0.0.1:{self.port}"

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


@pytest.fixture
def make_dns_server(workdir):
    """Factory: make_dns_server(records, zones=("test.",), refuse=(), ptr=())
    -> a started DnsServer, stopped after the test."""
    made = []

    def factory(records=(), **kw):
        server = DnsServer(workdir, records, **kw)
        made.append(server)
        return server.start()

    yield factory
    for server in made:
        server.stop()


class SilentDns:
    """A UDP port that takes queries and never answers: a dead resolver."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self):
        self.sock.close()


@pytest.fixture
def silent_dns():
    s = SilentDns()
    yield s
    s.close()
