#!/usr/bin/env bash
# How long mailq takes on a large queue (issue 9, item 7: "with 100,000
# messages queued, listing takes seconds, not minutes").
#
#   bench/queue_list.sh              # N=100000 messages, 3 timed runs of each listing
#   N=20000 REPEAT=1 bench/queue_list.sh
#   BASELINE=/path/to/older/tern bench/queue_list.sh   # also time that binary's `queue list`
#
# Fills a fresh queue directory: tern itself receives one message over SMTP
# for a command alias that always defers (exit 75), so the daemon writes a
# real queue file and a real defer note; tern is stopped, and that file and
# note are copied N times under fresh queue IDs (content ~1 KiB, two
# pending recipients). Then times `tern queue list` (mailq), `postqueue -p`
# and `postqueue -j`; as root the first run of each starts with a cold page
# cache (drop_caches), the others are warm.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_NAME=queue_list
# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"
TERN=${TERN:-$ROOT/build/tern}
N=${N:-100000}
REPEAT=${REPEAT:-3}
[[ -x $TERN ]] || die "no $TERN: build it first (ninja -C build tern)"

work=$(mktemp -d /tmp/tern-bench-queue.XXXXXX)
tern_pid=
trap 'stop_pid_var tern_pid; [[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT
trap 'exit 130' INT TERM  # so that the EXIT trap stops what was started
port=$(free_port)
me=$(id -un)
privs=$me
[[ $(id -u) == 0 ]] && privs=nobody
: >"$work/users"
printf '#!/bin/sh\nexit 75\n' >"$work/defer.sh"
cp "$work/defer.sh" "$work/defer2.sh"
chmod 755 "$work"/defer*.sh
printf 'stuck: |%s\nstuck2: |%s\n' "$work/defer.sh" "$work/defer2.sh" >"$work/aliases"
{
  tern_bench_config "$work" "$work/users"
  cat <<CF
smtpd_listen = 127.0.0.1:$port
mydestination = local.test
myorigin = local.test
alias_maps = texthash:$work/aliases
default_privs = $privs
minimal_backoff_time = 3600s
maximal_backoff_time = 3600s
CF
} >"$work/main.cf"

"$TERN" -c "$work/main.cf" serve 2>"$work/serve.err" &
tern_pid=$!
wait_banner "$port" || die "tern did not start: $(cat "$work/serve.err")"
python3 - "$port" <<'PY'
import smtplib, sys
body = "Subject: bench\r\n\r\n" + ("x" * 70 + "\r\n") * 14
with smtplib.SMTP("127.0.0.1", int(sys.argv[1])) as s:
    s.sendmail("sender@example.org", ["stuck@local.test", "stuck2@local.test"], body)
PY
for _ in $(seq 100); do
  compgen -G "$work/queue/defer/*" >/dev/null && break
  sleep 0.1
done
stop_pid_var tern_pid
template=$(ls "$work/queue/active")
[[ -n $template && -s $work/queue/defer/$template ]] || die "no deferred queue file was made"

python3 - "$work/queue" "$template" "$N" <<'PY'
import os, sys
q, template, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(os.path.join(q, "active", template), "rb").read()
note = open(os.path.join(q, "defer", template), "rb").read()
base = int(template[:8], 16)
for i in range(n - 1):
    qid = "%08X%05X%03X" % (base - 1 - i // 1000000, i % 1000000 % 0x100000, (i // 0x100000) & 0xfff)
    for area, blob in (("active", data), ("defer", note)):
        fd = os.open(os.path.join(q, area, qid), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, blob)
        os.close(fd)
PY
count=$(find "$work/queue/active" -type f | wc -l)
echo "queue: $count messages ($(du -sh "$work/queue/active" | cut -f1) in active/), $(nproc) CPUs, $(uname -r)"

time_it() { # label, command...: REPEAT wall-clock times in seconds
  local label=$1 t0 t1 i
  shift
  local -a times=()
  for ((i = 0; i < REPEAT; i++)); do
    sync
    [[ $(id -u) == 0 && -w /proc/sys/vm/drop_caches && $i == 0 ]] && echo 3 >/proc/sys/vm/drop_caches
    t0=$(date +%s.%N)
    "$@" >"$work/out" 2>"$work/err" || die "$label failed: $(cat "$work/err")"
    t1=$(date +%s.%N)
    times+=("$(echo "$t1 - $t0" | bc)")
  done
  # The first run starts with a cold page cache when run as root.
  printf '%-26s first %s s, median %s s (runs: %s)\n' "$label" "${times[0]}" "$(median "${times[@]}")" "${times[*]}"
}
if [[ -n ${BASELINE:-} ]]; then
  time_it "baseline queue list" "$BASELINE" -c "$work/main.cf" queue list
  tail -1 "$work/out"
fi
ln -sf "$TERN" "$work/postqueue"
time_it "tern queue list (mailq)" "$TERN" -c "$work/main.cf" queue list
tail -1 "$work/out"
time_it "postqueue -p" "$work/postqueue" -c "$work/main.cf" -p
time_it "postqueue -j" "$work/postqueue" -c "$work/main.cf" -j
lines=$(wc -l <"$work/out")
[[ $lines == "$count" ]] || die "postqueue -j printed $lines lines for $count messages"
