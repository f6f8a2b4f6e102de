#!/usr/bin/env bash
# Relay throughput and delay: smtp-source -> server -> smtp-sink, tern vs a
# throwaway Postfix on the same machine in the same run (issue 9).
#
# Each cell (message size x parallel sessions x recipients per message)
# starts a fresh smtp-sink (Postfix's, the next hop: it answers and
# discards) and a fresh server relaying everything to it (relayhost =
# [127.0.0.1]:sink), drives the server with smtp-source (one message per
# connection), and times from the start of smtp-source until the server's
# log has a status=sent line for every recipient. Both servers fsync the
# queue file before their 250 and record each delivery before forgetting
# it. The delay figures are the delay= of those log lines (arrival to
# delivery), median and 99th percentile. The last column, "direct", is
# smtp-source straight into smtp-sink with no server between: what the two
# tools alone manage, which no server's figure can pass. Run as root (Postfix needs it),
# by hand; never by the test suite:
#   bench/relay.sh
#   SESSIONS=10 SIZES=1024 RCPTS=1 MSGS_SMALL=500 bench/relay.sh   # quick run
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SESSIONS=${SESSIONS:-"1 10 50"}
SIZES=${SIZES:-"1024 102400"}
RCPTS=${RCPTS:-"1 10"}                    # recipients per message (smtp-source -r)
MSGS_SMALL=${MSGS_SMALL:-2000}
MSGS_LARGE=${MSGS_LARGE:-2000}  # tern relays 100 KiB at 700-1000/s here: 500 made a cell of under a second
SERVERS=${SERVERS:-"tern postfix"}
REPEAT=${REPEAT:-1}
DELIVERY_TIMEOUT=${DELIVERY_TIMEOUT:-600}
RESULTS=${RESULTS:-$ROOT/bench/results-relay.txt}
KEEP=${KEEP:-0}

BENCH_NAME=relay
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"

relay_programs

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tern-relay.XXXXXX")
chmod 755 "$WORK"
TERN_PID=
PF_DIR=
SINK_PID=
SOURCE_PID=

trap 'relay_exit TERN_PID SINK_PID' EXIT
trap 'exit 130' INT TERM

start_tern() { # $1 = dir, $2 = port, $3 = sink port
  run_tern "$1" "$2" "relayhost = [127.0.0.1]:$3"
}
stop_tern() { stop_pid_var TERN_PID; }

start_postfix() { # $1 = dir, $2 = port, $3 = sink port
  setup_postfix "$1" "127.0.0.1:$2 inet n - n - - smtpd" "relayhost = [127.0.0.1]:$3" \
    "smtp_tls_security_level = none"
  run_postfix "$1" "$2"
}

# No server between: smtp-source straight into smtp-sink, the most any
# server's figure could be in this cell (the two tools' own ceiling).
run_direct() { # size sessions rcpts count
  local size=$1 sessions=$2 rcpts=$3 count=$4 d sink t0 t1
  d="$WORK/direct-$size-$sessions-$rcpts-$REP"
  mkdir -p "$d"
  sink=$(free_port)
  start_sink "$d" "$sink"
  t0=$EPOCHREALTIME
  "$SMTP_SOURCE" -4 -s "$sessions" -l "$size" -m "$count" -r "$rcpts" -M client.test \
    -f sender@client.test -t rcpt@relay.test "127.0.0.1:$sink" >"$d/smtp-source.log" 2>&1 || true
  t1=$EPOCHREALTIME
  stop_pid_var SINK_PID
  RESULT="$(awk -v n="$count" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }')"
}

RESULT=
run_cell() { # server size sessions rcpts count
  local server=$1 size=$2 sessions=$3 rcpts=$4 count=$5 d port sink t0 t1 n want deadline log
  d="$WORK/$server-$size-$sessions-$rcpts-$REP"
  mkdir -p "$d"
  port=$(free_port)
  sink=$(free_port)
  start_sink "$d" "$sink"
  "start_$server" "$d" "$port" "$sink"
  log="$d/maillog"
  want=$((count * rcpts))
  sync
  t0=$EPOCHREALTIME
  "$SMTP_SOURCE" -4 -s "$sessions" -l "$size" -m "$count" -r "$rcpts" -M client.test \
    -f sender@client.test -t rcpt@relay.test "127.0.0.1:$port" >"$d/smtp-source.log" 2>&1 &
  SOURCE_PID=$!
  wait "$SOURCE_PID" || true
  SOURCE_PID=
  deadline=$((SECONDS + DELIVERY_TIMEOUT))
  while n=$(sent_lines "$log"); ((n < want && SECONDS < deadline)); do sleep 0.05; done
  t1=$EPOCHREALTIME
  "stop_$server"
  stop_pid_var SINK_PID
  if ((n < want)); then
    RESULT="FAIL($n/$want) - -"
    echo "  $server size=$size s=$sessions r=$rcpts: only $n of $want sent; $(grep -m3 -E 'deferred|bounced|error' "$log" | tr '\n' ' ')" >&2
    return
  fi
  RESULT="$(awk -v n="$count" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }') $(delays "$log")"
}

{
  echo "# tern vs Postfix, relay: smtp-source -> server -> smtp-sink (relayhost), fsync on, 1 msg/connection"
  echo "# runs:     $REPEAT per cell and server, taking turns; msg/s (median of runs), delay= median/p99 of the last run"
  machine_header "$WORK" "$TERN"
  echo "# postfix:  $("$POSTCONF" -d -h mail_version 2>/dev/null || echo '?')"
  # What one session can never beat here: its messages are made durable one
  # after another (bench/fsync_floor.py).
  python3 "$ROOT/bench/fsync_floor.py" "$WORK"
} | tee "$WORK/header"

printf '\n%-6s %5s %5s %6s %11s %11s %7s   %-15s %-15s %12s\n' size sess rcpts msgs "tern msg/s" "pf msg/s" ratio \
  "tern delay" "pf delay" "direct msg/s" | tee "$WORK/table"
for size in $SIZES; do
  if ((size < 10240)); then count=$MSGS_SMALL; else count=$MSGS_LARGE; fi
  label=$(awk -v b="$size" 'BEGIN { printf "%dK", b / 1024 }')
  for s in $SESSIONS; do
    for rc in $RCPTS; do
      declare -A rate=() dl=()
      declare -A runs=()
      for ((REP = 1; REP <= REPEAT; REP++)); do
        for server in tern postfix; do
          [[ " $SERVERS " == *" $server "* ]] || continue
          run_cell $server "$size" "$s" "$rc" "$count"
          read -r v m p <<<"$RESULT"
          runs[$server]+=" $v"
          dl[$server]="$m/$p"
        done
      done
      REP=1
      run_direct "$size" "$s" "$rc" "$count"
      direct=$RESULT
      for server in tern postfix; do rate[$server]=$( [[ -n ${runs[$server]:-} ]] && median ${runs[$server]} || echo -); done
      ratio=$(awk -v a="${rate[tern]}" -v b="${rate[postfix]}" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2f", a / b; else print "-" }')
      printf '%-6s %5s %5s %6s %11s %11s %7s   %-15s %-15s %12s\n' "$label" "$s" "$rc" "$count" "${rate[tern]}" \
        "${rate[postfix]}" "$ratio" "${dl[tern]:--}" "${dl[postfix]:--}" "$direct" | tee -a "$WORK/table"
      unset rate dl runs
    done
  done
done
cat "$WORK/header" "$WORK/table" >"$RESULTS"
echo
echo "written to $RESULTS"
