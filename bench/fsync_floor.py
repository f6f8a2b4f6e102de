#!/usr/bin/env python3
"""The disk's floor for one durable queue entry, measured in a directory.

A mail server that answers 250 only once the message is on disk does, for
each message of a single session, at least: write the file, fsync it, rename
it into the queue, fsync the directory (tern), or write and fsync the file
(Postfix's cleanup, which does not fsync the directory). With one session
those steps are serial, so their time bounds the rate whatever the server
does in between. Prints the median time of each pattern and the rate it
allows, for the bench header.

Usage: fsync_floor.py DIR [COUNT]
"""
import os
import statistics
import sys
import tempfile
import time


def timed(n, step):
    times = []
    for i in range(n):
        t = time.perf_counter()
        step(i)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    base = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    body = b"x" * 1024
    with tempfile.TemporaryDirectory(prefix="fsync-floor.", dir=base) as d:
        area = os.path.join(d, "active")
        os.mkdir(area)

        def file_and_dir(i):
            tmp = os.path.join(d, f"t{i}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, body)
            os.fsync(fd)
            os.close(fd)
            os.rename(tmp, os.path.join(area, f"q{i}"))
            dfd = os.open(area, os.O_RDONLY | os.O_DIRECTORY)
            os.fsync(dfd)
            os.close(dfd)

        def file_only(i):
            fd = os.open(os.path.join(d, f"p{i}"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, body)
            os.fsync(fd)
            os.close(fd)

        both = timed(n, file_and_dir)
        one = timed(n, file_only)
    print(f"# floor:    write 1 KiB + fsync + rename + fsync dir {both * 1e3:.3f} ms "
          f"(one session at most {1 / both:.0f} msg/s); write + fsync {one * 1e3:.3f} ms "
          f"(at most {1 / one:.0f} msg/s); median of {n}, in {base}")


if __name__ == "__main__":
    main()
