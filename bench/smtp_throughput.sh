#!/usr/bin/env bash
# End-to-end SMTP throughput: tern vs a throwaway Postfix on the same machine.
#
# For each cell of the matrix (message size x parallel sessions) it starts a
# fresh server, drives it with Postfix's smtp-source (one message per
# connection, one recipient in a virtual mailbox domain), and times from the
# start of smtp-source until the last message is in the Maildir's new/.
# Then it stops the server and throws its state away. See bench/README.md.
#
# Two references run in the same cells, to show what the machine allows:
#   sink     Postfix's smtp-sink, a server that answers and discards (no
#            disk): roughly what this client can get from any server here.
#   nofsync  tern with fsync(), fdatasync() and syncfs() made no-ops by an
#            LD_PRELOAD shim (bench/nofsync.c): NOT durable, only a measure
#            of what durability costs on this disk.
#
# Run as root (Postfix needs it), by hand; never by the test suite.
#   bench/smtp_throughput.sh
#   MSGS_SMALL=200 MSGS_LARGE=50 bench/smtp_throughput.sh      # quick run
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TERN=${TERN_BINARY:-$ROOT/build/tern}
BEFORE=${TERN_BEFORE_BINARY:-}            # another tern binary (e.g. main before a change): server "before"
SMTP_SOURCE=${SMTP_SOURCE:-/usr/sbin/smtp-source}
POSTFIX=${POSTFIX:-/usr/sbin/postfix}
POSTCONF=${POSTCONF:-/usr/sbin/postconf}

SESSIONS=${SESSIONS:-"1 10 50"}           # smtp-source -s
SIZES=${SIZES:-"1024 102400"}             # smtp-source -l (bytes of body)
MSGS_SMALL=${MSGS_SMALL:-5000}            # messages per cell for sizes < 10 KiB
MSGS_LARGE=${MSGS_LARGE:-1000}            # messages per cell for larger sizes
SERVERS=${SERVERS:-"tern postfix sink nofsync"} # e.g. SERVERS="tern before postfix"
DELIVERY_TIMEOUT=${DELIVERY_TIMEOUT:-300} # seconds to wait for the Maildir to fill
RESULTS=${RESULTS:-$ROOT/bench/results-latest.txt}
KEEP=${KEEP:-0}                           # KEEP=1 keeps the temp dirs (logs) for inspection
REPEAT=${REPEAT:-3}                       # runs per cell and server; the table shows the median

BENCH_NAME=smtp_throughput
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"

[[ $(id -u) -eq 0 ]] || die "run as root (the throwaway Postfix instance needs it)"
[[ -x $SMTP_SOURCE ]] || die "$SMTP_SOURCE missing (apt-get install postfix)"
has() { [[ " $SERVERS " == *" $1 "* ]]; }
if has tern || has nofsync; then
  [[ -x $TERN ]] || die "$TERN missing (./scripts/build.sh)"
fi
if has before; then
  [[ -x $BEFORE ]] || die "server 'before' needs TERN_BEFORE_BINARY, an executable tern"
fi
if has sink; then
  [[ -x ${SMTP_SINK:=/usr/sbin/smtp-sink} ]] || die "$SMTP_SINK missing (apt-get install postfix)"
fi
if has nofsync; then
  command -v cc >/dev/null || die "cc missing (needed to build the nofsync shim)"
fi
if has postfix; then
  [[ -x $POSTFIX ]] || die "$POSTFIX missing (apt-get install postfix)"
  id postfix >/dev/null 2>&1 || die "no 'postfix' user (apt-get install postfix)"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tern-bench.XXXXXX") # queues and Maildirs live here: pick the disk with TMPDIR
chmod 755 "$WORK" # Postfix daemons (user postfix) must traverse it
TERN_PID=
PF_DIR=
SOURCE_PID=
SINK_PID=

cleanup() {
  local rc=$?
  if [[ -n $SOURCE_PID ]]; then kill "$SOURCE_PID" 2>/dev/null || true; fi
  stop_tern || true
  stop_postfix || true
  stop_sink || true
  stop_before || true
  if [[ $KEEP == 1 ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- tern
start_tern() { # $1 = state dir, $2 = port, $3 = LD_PRELOAD (optional), $4 = binary (optional)
  local d=$1 port=$2 preload=${3:-} tern=${4:-$TERN}
  mkdir -p "$d/queue" "$d/vmail"
  {
    tern_bench_config "$d" "$d/users"
    echo "smtpd_listen = 127.0.0.1:$port"
  } >"$d/main.cf"
  echo bench | "$tern" -c "$d/main.cf" user add rcpt@bench.test --password-stdin >/dev/null
  LD_PRELOAD=$preload "$tern" -c "$d/main.cf" serve >"$d/stderr.log" 2>&1 &
  # shellcheck disable=SC2034 # stopped through its name (stop_pid_var)
  TERN_PID=$!
  wait_banner "$port" || { cat "$d/stderr.log" >&2; die "tern did not start"; }
}

stop_tern() { stop_pid_var TERN_PID; }

# ---------------------------------------------------------------- references
start_nofsync() {
  [[ -f $WORK/nofsync.so ]] || cc -shared -fPIC -O2 -o "$WORK/nofsync.so" "$ROOT/bench/nofsync.c" ||
    die "cannot build bench/nofsync.c"
  start_tern "$1" "$2" "$WORK/nofsync.so"
}
stop_nofsync() { stop_tern; }

# The same tern setup with the binary of TERN_BEFORE_BINARY: before/after a
# change, taking turns with the others in the same run.
start_before() { start_tern "$1" "$2" "" "$BEFORE"; }
stop_before() { stop_tern; }

start_sink() { # $1 = state dir, $2 = port
  "$SMTP_SINK" -u nobody "127.0.0.1:$2" 1000 >"$1/sink.log" 2>&1 &
  SINK_PID=$!
  wait_banner "$2" || { cat "$1/sink.log" >&2; die "smtp-sink did not start"; }
}

stop_sink() {
  [[ -n $SINK_PID ]] || return 0
  kill -TERM "$SINK_PID" 2>/dev/null || true
  wait "$SINK_PID" 2>/dev/null || true
  SINK_PID=
}

# ---------------------------------------------------------------- Postfix
start_postfix() { # $1 = state dir, $2 = port
  setup_postfix "$1" "127.0.0.1:$2 inet n - n - - smtpd"
  run_postfix "$1" "$2"
}

# ---------------------------------------------------------------- one cell
# Sets RESULT to msg/s (or FAIL(...)) for server $1, size $2, sessions $3,
# count $4. Not run in a subshell, so the EXIT trap knows what to stop.
RESULT=
run_cell() {
  local server=$1 size=$2 sessions=$3 count=$4 d port maildir t0 ts t1 n deadline rc=0
  d="$WORK/$server-$size-$sessions-$REP"
  mkdir -p "$d"
  port=$(free_port)
  "start_$server" "$d" "$port"
  maildir="$d/vmail/bench.test/rcpt"
  sync # don't bill this cell for the previous one's dirty pages

  t0=$EPOCHREALTIME
  # In the background so that a signal is handled at once, not after the cell.
  "$SMTP_SOURCE" -4 -s "$sessions" -l "$size" -m "$count" -M bench-client.test \
    -f sender@client.test -t rcpt@bench.test "127.0.0.1:$port" >"$d/smtp-source.log" 2>&1 &
  SOURCE_PID=$!
  wait "$SOURCE_PID" || rc=$?
  SOURCE_PID=
  ts=$EPOCHREALTIME
  deadline=$((SECONDS + DELIVERY_TIMEOUT))
  if [[ $server == sink ]]; then
    n=$count # nothing is delivered: the clock stops with smtp-source
  else
    while n=$(count_new "$maildir"); ((n < count && SECONDS < deadline)); do
      sleep 0.02
    done
  fi
  t1=$EPOCHREALTIME

  "stop_$server"
  if ((n < count)); then
    RESULT="FAIL($n/$count)"
    echo "  $server size=$size s=$sessions: only $n of $count delivered; smtp-source: $(tail -3 "$d/smtp-source.log" | tr '\n' ' ')" >&2
    return
  fi
  ((rc == 0)) || echo "  $server size=$size s=$sessions: smtp-source exited $rc (all delivered anyway)" >&2
  RESULT=$(awk -v n="$count" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }')
  # Where the time went: smtp-source done (all messages queued) vs last delivery.
  awk -v srv="$server" -v sz="$size" -v s="$sessions" -v n="$count" -v a="$t0" -v m="$ts" -v b="$t1" \
    -v rep="$REP" 'BEGIN { printf "# %-7s size=%-6d s=%-3d n=%-5d run %d: smtp-source done %7.2fs (%6.1f msg/s), last delivery %7.2fs (%6.1f msg/s)\n",
             srv, sz, s, n, rep, m - a, n / (m - a), b - a, n / (b - a) }' >>"$WORK/details"
}

# $1 over the cell's Postfix rate (r[postfix]), or - when either is missing.
over_pf() { awk -v a="$1" -v b="${r[postfix]}" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2f", a / b; else print "-" }'; }

# ---------------------------------------------------------------- main
{
  echo "# tern vs Postfix, end-to-end SMTP -> Maildir (smtp-source, 1 msg/connection, fsync on)"
  echo "# runs:     $REPEAT per cell and server, taking turns; the table shows the median msg/s"
  machine_header "$WORK" "$TERN"
  if has before; then echo "# before:   $BEFORE built $(date -u -r "$BEFORE" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || echo '?')"; fi
  echo "# postfix:  $("$POSTCONF" -d -h mail_version 2>/dev/null || echo '?')"
} | tee "$WORK/header"
: >"$WORK/details"

printf '\n%-6s %8s %6s %12s %14s %7s   %-9s %-6s %-9s %-6s %-9s %-6s %-12s\n' size sessions msgs "tern msg/s" "postfix msg/s" ratio \
  "sink" "ratio" "nofsync" "ratio" "before" "ratio" "tern/before" | tee "$WORK/table"
for size in $SIZES; do
  if ((size < 10240)); then count=$MSGS_SMALL; else count=$MSGS_LARGE; fi
  label=$(awk -v b="$size" 'BEGIN { if (b % 1024 == 0) printf "%dK", b / 1024; else printf "%dB", b }')
  for s in $SESSIONS; do
    # The servers take turns within each repetition, so that a slow spell
    # of the machine hits all of them rather than one.
    declare -A r=([tern]=- [postfix]=- [sink]=- [nofsync]=- [before]=-) runs=()
    for ((REP = 1; REP <= REPEAT; REP++)); do
      for server in tern before postfix sink nofsync; do
        if has $server; then run_cell $server "$size" "$s" "$count"; runs[$server]+=" $RESULT"; fi
      done
    done
    for server in tern before postfix sink nofsync; do
      if [[ -n ${runs[$server]:-} ]]; then r[$server]=$(median ${runs[$server]}); fi
    done
    tb=$(awk -v a="${r[tern]}" -v b="${r[before]}" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.3f", a / b; else print "-" }')
    printf '%-6s %8s %6s %12s %14s %7s   %-9s %-6s %-9s %-6s %-9s %-6s %-12s\n' "$label" "$s" "$count" "${r[tern]}" "${r[postfix]}" \
      "$(over_pf "${r[tern]}")" "${r[sink]}" "$(over_pf "${r[sink]}")" "${r[nofsync]}" "$(over_pf "${r[nofsync]}")" \
      "${r[before]}" "$(over_pf "${r[before]}")" "$tb" |
      tee -a "$WORK/table"
  done
done

echo
echo "# detail, every run: injection (smtp-source finished) vs end-to-end (last message in new/)"
cat "$WORK/details"
cat "$WORK/header" "$WORK/table" <(echo) <(echo "# detail: injection vs end-to-end") "$WORK/details" >"$RESULTS"
echo
echo "written to $RESULTS"
