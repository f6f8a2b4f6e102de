#!/usr/bin/env python3
"""Counts what dead_host.sh waits for, reading the server's log once.

dead_host.sh polls every 50 ms; grepping a log that grows by 100,000
deferral lines in a few seconds would cost the machine a core by the end
and skew the servers it measures. This follower reads each new byte of
the log once, from a byte offset on, and keeps in STATUS (rewritten by
rename) three numbers: live messages sent (status=sent to rcpt@live.test),
distinct queue IDs deferred for rcpt@dead.test, and such deferral lines.
It stops on SIGTERM.

    dead_host_follow.py LOG OFFSET STATUS
"""

import os
import signal
import sys
import time


def main():
    log, offset, status = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    live = dead_lines = 0
    dead_ids = set()
    rest = b""
    last = None
    with open(log, "rb") as f:
        f.seek(offset)
        while True:
            chunk = f.read(1 << 20)
            if chunk:
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop()
                for line in lines:
                    if b"status=sent" in line and b"to=<rcpt@live.test>" in line:
                        live += 1
                    elif b"status=deferred" in line and b"to=<rcpt@dead.test>" in line:
                        dead_lines += 1
                        head = line.split(b": to=<", 1)[0]
                        dead_ids.add(head.rsplit(b" ", 1)[-1])
                if len(chunk) == 1 << 20:
                    continue
            now = (live, len(dead_ids), dead_lines)
            if now != last:
                tmp = status + ".tmp"
                with open(tmp, "w") as out:
                    out.write("%d %d %d\n" % now)
                os.replace(tmp, status)
                last = now
            time.sleep(0.02)


if __name__ == "__main__":
    main()
