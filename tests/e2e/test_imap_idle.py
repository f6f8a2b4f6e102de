"""IDLE pushes written beside the waiting read (imap/server/cmd_idle.cpp):
over a COMPRESS=DEFLATE stream, where reading and writing share one zlib
wrapper, several deliveries in a row each reach the client at once and
the session goes on compressed after DONE; and with mail arriving all the
time while the client goes in and out of IDLE, every line the server sends
is whole (no push cut into by a tagged reply), each DONE gets its OK after
the pushes that preceded it, and in the end the client has been told of
every message."""

import re
import socket
import threading
import time
import zlib

from imap_account import ALICE, deliver, imap  # noqa: F401 (fixture)


class Lines:
    """A raw IMAP connection read line by line, optionally inflated."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        self.inflate = None
        self.deflate = None

    def compress(self):
        self.inflate = zlib.decompressobj(-15)
        self.deflate = zlib.compressobj(6, zlib.DEFLATED, -15)

    def send(self, data):
        if self.deflate:
            data = self.deflate.compress(data) + self.deflate.flush(zlib.Z_SYNC_FLUSH)
        self.sock.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            assert chunk, "connection closed"
            self.buf += self.inflate.decompress(chunk) if self.inflate else chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def until_tagged(self, tag):
        """The lines before the tagged reply, which must be OK."""
        seen = []
        while True:
            line = self.line()
            if line.startswith(tag + b" "):
                assert line.startswith(tag + b" OK"), (line, seen)
                return seen
            seen.append(line)


def logged_in(tern):
    c = Lines(tern.imap_port)
    assert c.line().startswith(b"* OK")
    c.send(b"a LOGIN alice@virt.test secret\r\n")
    c.until_tagged(b"a")
    return c


def test_idle_over_compress_pushes_each_delivery_then_goes_on(imap):
    deliver(imap, "before")
    imap.wait_for_mail(ALICE)
    c = logged_in(imap)
    c.send(b"z COMPRESS DEFLATE\r\n")
    c.until_tagged(b"z")
    c.compress()
    c.send(b"b SELECT INBOX\r\n")
    assert b"* 1 EXISTS" in c.until_tagged(b"b")
    c.send(b"c IDLE\r\n")
    assert c.line().startswith(b"+ ")
    for n in (2, 3, 4):
        started = time.monotonic()
        deliver(imap, f"during idle {n}")
        # Pushed, not polled (the poll is every 30 s).
        while (line := c.line()) != b"* %d EXISTS" % n:
            assert re.fullmatch(rb"\* \d+ RECENT", line), line
        assert time.monotonic() - started < 5
    c.send(b"DONE\r\n")
    c.until_tagged(b"c")
    c.send(b"d FETCH 4 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n")
    assert any(b"during idle 4" in line for line in c.until_tagged(b"d"))


WHOLE_LINE = re.compile(rb"\* \d+ (EXISTS|RECENT|EXPUNGE)|\* \d+ FETCH \(.*\)|\* OK .*|\+ idling|\* FLAGS .*")


def test_idle_and_done_crossing_deliveries_never_cut_a_line(imap):
    deliver(imap, "first")
    imap.wait_for_mail(ALICE)
    c = logged_in(imap)
    c.send(b"b SELECT INBOX\r\n")
    c.until_tagged(b"b")
    total = 12
    sent = []

    def keep_delivering():
        for i in range(total):
            deliver(imap, f"crossing {i}")
            sent.append(i)

    feeder = threading.Thread(target=keep_delivering)
    feeder.start()
    highest = 1
    rounds = 0
    try:
        # In and out of IDLE while the mail comes: DONE goes out at moments
        # that fall before, during and after the pushes of a delivery.
        while len(sent) < total or rounds < 3:
            rounds += 1
            tag = b"i%d" % rounds
            c.send(tag + b" IDLE\r\n")
            time.sleep(0.005 * (rounds % 7))
            c.send(b"DONE\r\n")
            for line in c.until_tagged(tag):
                assert WHOLE_LINE.fullmatch(line), line
                if m := re.fullmatch(rb"\* (\d+) EXISTS", line):
                    assert int(m.group(1)) >= highest, (line, highest)  # never told less than before
                    highest = int(m.group(1))
    finally:
        feeder.join()
    imap.wait_for_mail(ALICE, total + 1)
    # What was not pushed during an IDLE comes with the next command.
    c.send(b"n NOOP\r\n")
    for line in c.until_tagged(b"n"):
        assert WHOLE_LINE.fullmatch(line), line
        if m := re.fullmatch(rb"\* (\d+) EXISTS", line):
            highest = int(m.group(1))
    assert highest == total + 1
    assert "imap: lost connection" not in imap.log()
