#!/usr/bin/env bash
# Live mail next to a dead host's backlog, tern vs a throwaway Postfix on the
# same machine in the same run (issue 9: "with 100,000 messages deferred to a
# dead host, new mail to live hosts flowing at full rate").
#
# Each server routes two domains with transport_maps: live.test to Postfix's
# smtp-sink, dead.test to a dead host (DEAD=refused: a port nobody listens
# on; DEAD=tarpit: a listener that accepts and never greets). In one server
# instance, three phases:
#   a. baseline: N_LIVE messages to rcpt@live.test via smtp-source
#      (SESSIONS sessions, one message per connection); the clock runs until
#      the log has a status=sent line for each; delay= median/p99/max.
#   b. backlog: N_DEAD messages to rcpt@dead.test via smtp-source; wait until
#      the log has a status=deferred line for each of them (distinct IDs).
#   c. the same live run as (a) with the backlog queued, and a flush
#      (tern queue flush / postqueue -f) in the middle of it: every deferred
#      message becomes due at once. Then how long until every dead message
#      was deferred again.
# Run as root (Postfix needs it), by hand; never by the test suite:
#   bench/dead_host.sh                                  # 100,000 dead, 20,000 live
#   N_DEAD=2000 N_LIVE=2000 bench/dead_host.sh          # a couple of minutes
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N_LIVE=${N_LIVE:-20000}
N_DEAD=${N_DEAD:-100000}
SESSIONS=${SESSIONS:-10}                 # smtp-source -s for the live runs
FILL_SESSIONS=${FILL_SESSIONS:-20}       # smtp-source -s for the backlog
SIZE=${SIZE:-1024}
DEAD=${DEAD:-refused}                    # refused | tarpit
HELO_TIMEOUT=${HELO_TIMEOUT:-}           # smtp_helo_timeout for both (empty: their default, 300s)
SERVERS=${SERVERS:-"tern postfix"}
DELIVERY_TIMEOUT=${DELIVERY_TIMEOUT:-1800}
REDEFER_TIMEOUT=${REDEFER_TIMEOUT:-600}
RESULTS=${RESULTS:-$ROOT/bench/results-dead-host.txt}
KEEP=${KEEP:-0}

BENCH_NAME=dead_host
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"

relay_programs
[[ $DEAD == refused || $DEAD == tarpit ]] || die "DEAD=$DEAD: use refused or tarpit"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tern-deadhost.XXXXXX")
chmod 755 "$WORK"
TERN_PID=
PF_DIR=
SINK_PID=
TARPIT_PID=
FOLLOW_PID=
SOURCE_PID=

trap 'relay_exit TERN_PID SINK_PID TARPIT_PID FOLLOW_PID' EXIT
trap 'exit 130' INT TERM

# The dead host on port $2: nothing (connections refused) or a tarpit that
# accepts every connection, holds it and never says a word.
start_dead() { # $1 = dir, $2 = port
  [[ $DEAD == tarpit ]] || return 0
  python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1024)
held = []
while True:
    held.append(s.accept()[0])
' "$2" >"$1/tarpit.log" 2>&1 &
  TARPIT_PID=$!
  local deadline=$((SECONDS + 10))
  until { exec 3<>"/dev/tcp/127.0.0.1/$2"; } 2>/dev/null; do
    ((SECONDS < deadline)) || die "the tarpit did not start: $(cat "$1/tarpit.log")"
    sleep 0.1
  done
  exec 3<&- 3>&-
}

start_tern() { # $1 = dir, $2 = port
  run_tern "$1" "$2" "transport_maps = texthash:$1/transport" "smtp_tls_security_level = none" \
    ${HELO_TIMEOUT:+"smtp_helo_timeout = $HELO_TIMEOUT"}
}
stop_tern() { stop_pid_var TERN_PID; }
flush_tern() { "$TERN" -c "$1/main.cf" queue flush; }
queue_tern() { "$TERN" -c "$1/main.cf" queue list | tail -n 1; }

start_postfix() { # $1 = dir, $2 = port
  setup_postfix "$1" "127.0.0.1:$2 inet n - n - - smtpd" "transport_maps = texthash:$1/transport" \
    "smtp_tls_security_level = none" ${HELO_TIMEOUT:+"smtp_helo_timeout = $HELO_TIMEOUT"}
  run_postfix "$1" "$2"
}
flush_postfix() { "$POSTQUEUE" -c "$1/etc" -f; }
queue_postfix() { "$POSTQUEUE" -c "$1/etc" -p | tail -n 1; }

# Bytes in file $1 (where the next phase's lines start).
log_size() { stat -c %s "$1" 2>/dev/null || echo 0; }
# The lines of log $1 from byte offset $2 on.
log_since() { tail -c +$(($2 + 1)) "$1" 2>/dev/null || true; }
# Counts from offset $2 of log $1 on, kept up to date by dead_host_follow.py
# (reading each byte once: grepping the whole growing log every 50 ms would
# cost a core). One follower at a time; "count I" prints number I of:
# live messages sent, distinct dead IDs deferred, dead deferral lines.
follow() {
  rm -f "$WORK/follow.status"
  echo "0 0 0" >"$WORK/follow.status"
  python3 "$ROOT/bench/dead_host_follow.py" "$1" "$2" "$WORK/follow.status" &
  FOLLOW_PID=$!
}
count() { local a; read -r -a a <"$WORK/follow.status"; echo "${a[$1]}"; }
unfollow() { stop_pid_var FOLLOW_PID; }

# Median, p99 and max of the delay= values of the live status=sent lines of
# log $1 from offset $2, as "med/p99/max".
live_delays() {
  log_since "$1" "$2" | grep 'to=<rcpt@live\.test>.*status=sent' | sed -n 's/.* delay=\([0-9.]*\),.*/\1/p' | sort -g |
    awk '{ a[NR] = $1 } END { if (!NR) { print "-"; exit } i = int(NR * 0.99 + 0.999); if (i < 1) i = 1
      printf "%.2f/%.2f/%.2f\n", a[int((NR + 1) / 2)], a[i], a[NR] }'
}

# The longest pause between two live deliveries in log $1 from offset $2, in
# whole seconds (the logs' time stamps have one-second resolution).
live_pause() {
  log_since "$1" "$2" | awk '/to=<rcpt@live\.test>.*status=sent/ { split($3, h, ":"); t = h[1] * 3600 + h[2] * 60 + h[3]
      if (n++ && t - p > m) m = t - p; p = t } END { print m + 0 }'
}

load1() { cut -d' ' -f1 /proc/loadavg; }

# One live run of N_LIVE messages on server $1 in dir $2 (port $3). With $4
# (seconds) a flush is issued when half the live mail is sent or $4 seconds
# have passed, whichever comes first. Sets LIVE_RATE, LIVE_DELAYS, LIVE_SECS,
# FLUSH_AT (seconds into the run, or -), LIVE_MARK (log offset of the run).
live_run() {
  local server=$1 d=$2 port=$3 flush_after=${4:-} log="$2/maillog" t0 t1 n=0 deadline now
  LIVE_MARK=$(log_size "$log")
  follow "$log" "$LIVE_MARK"
  FLUSH_AT=-
  sync
  LIVE_LOAD0=$(load1)
  t0=$EPOCHREALTIME
  "$SMTP_SOURCE" -4 -s "$SESSIONS" -l "$SIZE" -m "$N_LIVE" -M client.test \
    -f sender@client.test -t rcpt@live.test "127.0.0.1:$port" >>"$d/smtp-source.log" 2>&1 &
  SOURCE_PID=$!
  deadline=$((SECONDS + DELIVERY_TIMEOUT))
  while n=$(count 0); ((n < N_LIVE && SECONDS < deadline)); do
    if [[ -n $flush_after && $FLUSH_AT == - ]]; then
      now=$EPOCHREALTIME
      if ((n * 2 >= N_LIVE)) || awk -v a="$t0" -v b="$now" -v f="$flush_after" 'BEGIN { exit !(b - a >= f) }'; then
        FLUSH_AT=$(awk -v a="$t0" -v b="$now" 'BEGIN { printf "%.1f", b - a }')
        FLUSH_MARK=$(log_size "$log")
        FLUSH_T=$now
        "flush_$server" "$d" >>"$d/flush.log" 2>&1 || echo "  $server: the flush failed: $(tail -n 2 "$d/flush.log")" >&2
      fi
    fi
    sleep 0.05
  done
  t1=$EPOCHREALTIME
  wait "$SOURCE_PID" || true
  SOURCE_PID=
  LIVE_DEAD_LINES=$(count 2)
  unfollow
  LIVE_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  if ((n < N_LIVE)); then
    LIVE_RATE="FAIL($n/$N_LIVE)"
    echo "  $server: only $n of $N_LIVE live messages sent in ${DELIVERY_TIMEOUT}s" >&2
  else
    LIVE_RATE=$(awk -v n="$N_LIVE" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }')
  fi
  LIVE_DELAYS=$(live_delays "$log" "$LIVE_MARK")
  LIVE_PAUSE=$(live_pause "$log" "$LIVE_MARK")
  LIVE_LOAD="$LIVE_LOAD0 -> $(load1)"
}

declare -A R=()
run_server() { # server
  local server=$1 d port sink dead log mark t0 t1 n deadline
  d="$WORK/$server"
  mkdir -p "$d"
  port=$(free_port)
  sink=$(free_port)
  dead=$(free_port)
  log="$d/maillog"
  printf 'live.test smtp:[127.0.0.1]:%s\ndead.test smtp:[127.0.0.1]:%s\n' "$sink" "$dead" >"$d/transport"
  start_dead "$d" "$dead"
  start_sink "$d" "$sink"
  "start_$server" "$d" "$port"

  echo "$server: a. baseline, $N_LIVE live messages" >&2
  live_run "$server" "$d" "$port"
  R[$server.base]=$LIVE_RATE R[$server.base_delays]=$LIVE_DELAYS R[$server.base_secs]=$LIVE_SECS
  R[$server.base_pause]=$LIVE_PAUSE R[$server.base_load]=$LIVE_LOAD

  echo "$server: b. backlog, $N_DEAD messages to the dead host ($DEAD)" >&2
  mark=$(log_size "$log")
  R[$server.fill_load]=$(load1)
  t0=$EPOCHREALTIME
  "$SMTP_SOURCE" -4 -s "$FILL_SESSIONS" -l "$SIZE" -m "$N_DEAD" -M client.test \
    -f sender@client.test -t rcpt@dead.test "127.0.0.1:$port" >"$d/fill.log" 2>&1 &
  SOURCE_PID=$!
  wait "$SOURCE_PID" || true
  SOURCE_PID=
  t1=$EPOCHREALTIME
  follow "$log" "$mark"
  R[$server.fill_in]=$(awk -v n="$N_DEAD" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
  deadline=$((SECONDS + DELIVERY_TIMEOUT))
  while n=$(count 1); ((n < N_DEAD && SECONDS < deadline)); do sleep 0.1; done
  t1=$EPOCHREALTIME
  R[$server.fill_secs]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')
  R[$server.fill_n]=$n
  R[$server.fill_lines]=$(count 2)
  unfollow
  ((n >= N_DEAD)) || echo "  $server: only $n of $N_DEAD dead messages deferred in ${DELIVERY_TIMEOUT}s" >&2
  R[$server.queue]=$("queue_$server" "$d" 2>&1 || true)

  echo "$server: c. $N_LIVE live messages with the backlog queued, a flush in the middle" >&2
  live_run "$server" "$d" "$port" "$(awk -v s="${R[$server.base_secs]}" 'BEGIN { printf "%.1f", s / 2 }')"
  R[$server.back]=$LIVE_RATE R[$server.back_delays]=$LIVE_DELAYS R[$server.flush_at]=$FLUSH_AT
  R[$server.back_pause]=$LIVE_PAUSE R[$server.back_load]=$LIVE_LOAD
  R[$server.retried_live]=$LIVE_DEAD_LINES
  R[$server.redefer]=-
  if [[ $FLUSH_AT != - ]]; then
    deadline=$((SECONDS + REDEFER_TIMEOUT))
    follow "$log" "$FLUSH_MARK"
    while n=$(count 1); ((n < N_DEAD && SECONDS < deadline)); do sleep 0.1; done
    unfollow
    if ((n >= N_DEAD)); then
      R[$server.redefer]=$(awk -v a="$FLUSH_T" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
    else
      R[$server.redefer]=">${REDEFER_TIMEOUT}($n)"
    fi
  fi
  R[$server.stderr]=$(grep -c . "$d/stderr.log" 2>/dev/null || true)
  "stop_$server"
  stop_pid_var SINK_PID
  stop_pid_var TARPIT_PID
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2f", a / b; else print "-" }'; }

{
  echo "# tern vs Postfix: live mail (smtp-source -> server -> smtp-sink) next to a backlog deferred to a dead host"
  echo "# sizes:    N_LIVE=$N_LIVE at $SESSIONS sessions, N_DEAD=$N_DEAD filled at $FILL_SESSIONS sessions, $SIZE-byte bodies, DEAD=$DEAD${HELO_TIMEOUT:+, smtp_helo_timeout=$HELO_TIMEOUT}"
  machine_header "$WORK" "$TERN"
  echo "# postfix:  $("$POSTCONF" -d -h mail_version 2>/dev/null || echo '?')"
} | tee "$WORK/header"

for server in tern postfix; do
  [[ " $SERVERS " == *" $server "* ]] || continue
  run_server "$server"
done

{
  printf '\n%-8s %10s %-17s %10s %-17s %7s\n' server "base msg/s" "base delay" "back msg/s" "back delay" "back/base"
  for server in tern postfix; do
    [[ " $SERVERS " == *" $server "* ]] || continue
    printf '%-8s %10s %-17s %10s %-17s %7s\n' "$server" "${R[$server.base]}" "${R[$server.base_delays]}" \
      "${R[$server.back]}" "${R[$server.back_delays]}" "$(ratio "${R[$server.back]}" "${R[$server.base]}")"
  done
  if [[ " $SERVERS " == *" tern "* && " $SERVERS " == *" postfix "* ]]; then
    printf '%-8s %10s %-17s %10s\n' tern/pf "$(ratio "${R[tern.base]}" "${R[postfix.base]}")" "" \
      "$(ratio "${R[tern.back]}" "${R[postfix.back]}")"
  fi
  echo
  echo "# delay = delay= of the live status=sent lines, median/p99/max seconds; back = with the backlog and a flush"
  for server in tern postfix; do
    [[ " $SERVERS " == *" $server "* ]] || continue
    echo "# $server: baseline ${R[$server.base_secs]} s, longest pause between live deliveries ${R[$server.base_pause]} s, load ${R[$server.base_load]}"
    echo "#   backlog: accepted at ${R[$server.fill_in]} msg/s, all ${R[$server.fill_n]} deferred ${R[$server.fill_secs]} s after the fill began (${R[$server.fill_lines]} deferral lines), load ${R[$server.fill_load]} at the start; queue: ${R[$server.queue]}"
    echo "#   with the backlog: flush ${R[$server.flush_at]} s into the live run; longest pause between live deliveries ${R[$server.back_pause]} s; ${R[$server.retried_live]} dead deferral lines during the run; every dead message deferred again ${R[$server.redefer]} s after the flush; load ${R[$server.back_load]}"
    if [[ $server == tern && ${R[tern.stderr]} != 0 ]]; then echo "#   tern wrote ${R[tern.stderr]} lines on stderr"; fi
  done
} | tee "$WORK/table"
cat "$WORK/header" "$WORK/table" >"$RESULTS"
echo
echo "written to $RESULTS"
