#!/usr/bin/env bash
# IMAP benchmark: tern vs a throwaway Dovecot 2.3, both driven by Dovecot's
# own load generator, imaptest (../shared/tools/imaptest: built on first
# use), in the same run, with the same passwd-file (tern's hashes, made by
# `tern user add`): imaptest's stress mode (a random but repeatable mix of
# LOGIN, SELECT, FETCH, STORE, EXPUNGE, APPEND, LOGOUT that also checks
# every answer against the state it tracks) at each client count, in the
# default mix and with sessions that stay logged in (STRESS_EXTRA=logout=0).
# Reported: commands per second and imaptest's error count per server, and
# tern/Dovecot as a ratio; and, per server, the median and 99th percentile
# of one more user's command latency under that load (imaptest reports only
# averages), and tern/Dovecot for the 99th. See bench/README.md.
#
# Run as root (the reference Dovecot needs it), by hand; never by the tests.
#   bench/imap.sh
#   SECS=10 CLIENTS=10 bench/imap.sh        # quick run
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TERN=${TERN_BINARY:-$ROOT/build/tern}
IMAPTEST_TOOLS=${IMAPTEST_TOOLS:-$ROOT/../shared/tools/imaptest}
SECS=${SECS:-30}
CLIENTS=${CLIENTS:-"10 50"}
USERS=${USERS:-20}
HASH=${HASH:-yescrypt}                  # what `tern user add` makes
MIXES=${MIXES:-"default logged-in"}
RESULTS=${RESULTS:-$ROOT/bench/results-imap.txt}
KEEP=${KEEP:-0}
SERVERS=${SERVERS:-"tern dovecot"}     # "tern" alone: no reference run, no ratio
TERN_CONF=${TERN_CONF:-}                # more main.cf lines for tern, e.g. "imap_threads = 8"
NOFSYNC=${NOFSYNC:-0}                  # 1: tern with fsync made a no-op (bench/nofsync.c): NOT durable, a measure only

BENCH_NAME=imap
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"

[[ $(id -u) -eq 0 ]] || die "run as root (the reference Dovecot needs it)"
[[ -x $TERN ]] || die "$TERN missing (./scripts/build.sh)"
[[ -x $IMAPTEST_TOOLS/run.sh ]] || die "no imaptest tools at $IMAPTEST_TOOLS"

work=$(mktemp -d /tmp/tern-bench-imap.XXXXXX)
chmod 755 "$work"  # the reference Dovecot (as its own users) reads the passwd-file below it
tern_pid=
cleanup() {
  stop_pid_var tern_pid
  [[ $KEEP == 1 ]] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM  # so that the EXIT trap stops what was started

# tern: IMAP on a free port, users user1..N@example.test with password "pass".
port=$(free_port)
smtp_port=$(free_port)
{
  tern_bench_config "$work" "$work/users"
  echo "virtual_mailbox_domains = example.test"
  echo "smtpd_listen = 127.0.0.1:$smtp_port"
  echo "imap_listen = 127.0.0.1:$port"
  echo "smtpd_sasl_failure_limit = 0"
  [[ -z $TERN_CONF ]] || printf '%s\n' "$TERN_CONF"
} >"$work/main.cf"
: >"$work/users"
for i in $(seq 1 "$USERS"); do
  echo pass | "$TERN" -c "$work/main.cf" user add "user$i@example.test" --password-stdin >/dev/null
done
# The latency probe's own account (bench/imap_latency_probe.py), not imaptest's.
echo pass | "$TERN" -c "$work/main.cf" user add "probe@example.test" --password-stdin >/dev/null
preload=()
if [[ $NOFSYNC == 1 ]]; then
  cc -shared -fPIC -O2 -o "$work/nofsync.so" "$ROOT/bench/nofsync.c" || die "cannot build the nofsync shim"
  preload=(env LD_PRELOAD="$work/nofsync.so")
fi
"${preload[@]}" "$TERN" -c "$work/main.cf" serve >"$work/tern.stderr" 2>&1 &
tern_pid=$!
wait_banner "$smtp_port" || die "tern did not start: $(cat "$work/tern.stderr")"

run_mix() { # server mix clients -> "cmds_per_sec errors probe_p50_ms probe_p99_ms"
  local server=$1 mix=$2 clients=$3 extra="" out probe_pid probe_out
  probe_out="$work/probe-$server-$mix-$clients.json"
  [[ $mix == logged-in ]] && extra="logout=0"
  # The probe: one more user's command latency under the load; it starts a
  # little after the server (the reference Dovecot wipes its mail at start).
  ( sleep 3; exec python3 "$ROOT/bench/imap_latency_probe.py" 127.0.0.1 \
      "$([[ $server == tern ]] && echo "$port" || echo 10143)" probe@example.test pass "$probe_out" ) &
  probe_pid=$!
  local -a env=(SECS="$SECS" CLIENTS="$clients" IMAP_USER='user%d@example.test' IMAP_USERS="$USERS"
                IMAP_PASS=pass STRESS_EXTRA="$extra" IMAPTEST_STATE="$work/imaptest-$server")
  if [[ $server == tern ]]; then
    out=$(env "${env[@]}" IMAP_PORT="$port" bash "$IMAPTEST_TOOLS/run.sh" stress 2>"$work/$server-$mix-$clients.log")
  else
    out=$(env "${env[@]}" REF_USERS_FILE="$work/users" bash "$IMAPTEST_TOOLS/run.sh" reference stress \
          2>"$work/$server-$mix-$clients.log")
  fi
  echo "$out" >>"$work/$server-$mix-$clients.log"
  kill -TERM "$probe_pid" 2>/dev/null || true
  wait "$probe_pid" 2>/dev/null || true
  local line p50=- p99=-
  if [[ -s $probe_out ]]; then
    read -r p50 p99 < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["p50_ms"] or "-", r["p99_ms"] or "-")' "$probe_out")
  fi
  line=$(grep -m1 '^stress ' <<<"$out" || true)
  [[ -n $line ]] || { echo "FAIL FAIL $p50 $p99"; return; }
  echo "$(sed -E 's/.*cmds_per_sec=([0-9.]+).*errors=([0-9]+).*/\1 \2/' <<<"$line") $p50 $p99"
}

{
  echo "# bench/imap.sh  $(date -u +%Y-%m-%dT%H:%MZ)  $(uname -r)  $(nproc) cores"
  [[ $NOFSYNC == 1 ]] && echo "# tern ran with fsync made a no-op (NOFSYNC=1): not durable, a measure only"
  echo "# imaptest stress, ${SECS}s per cell, $USERS users, $HASH hashes in one passwd-file for both"
  echo "# p50/p99: one more user's command latency under that load, in ms (bench/imap_latency_probe.py)"
  printf '%-10s %-8s %12s %7s %9s %9s %14s %7s %9s %9s %7s %9s\n' mix clients tern_cmds/s errors \
    tern_p50 tern_p99 dovecot_cmds/s errors dov_p50 dov_p99 ratio p99_ratio
  for mix in $MIXES; do
    for c in $CLIENTS; do
      read -r t_rate t_err t_p50 t_p99 < <(run_mix tern "$mix" "$c")
      d_rate=- d_err=- d_p50=- d_p99=-
      [[ " $SERVERS " == *" dovecot "* ]] && read -r d_rate d_err d_p50 d_p99 < <(run_mix dovecot "$mix" "$c")
      ratio=$(python3 -c "import sys; t,d=sys.argv[1:]; print(f'{float(t)/float(d):.2f}' if 'FAIL' not in (t,d) and '-' != d and float(d) > 0 else '-')" "$t_rate" "$d_rate")
      p99_ratio=$(python3 -c "import sys; t,d=sys.argv[1:]; print(f'{float(t)/float(d):.2f}' if '-' not in (t,d) and float(d) > 0 else '-')" "$t_p99" "$d_p99")
      printf '%-10s %-8s %12s %7s %9s %9s %14s %7s %9s %9s %7s %9s\n' "$mix" "$c" "$t_rate" "$t_err" "$t_p50" "$t_p99" \
        "$d_rate" "$d_err" "$d_p50" "$d_p99" "$ratio" "$p99_ratio"
    done
  done
} | tee "$RESULTS"
