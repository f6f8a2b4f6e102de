#!/usr/bin/env bash
# IMAP IDLE benchmark: memory per idle IMAP session and push latency, tern
# vs a throwaway Dovecot 2.3 on the same machine in the same run. For each
# server, bench/imap_idle_clients.py opens N sessions as one user (LOGIN,
# SELECT INBOX, IDLE), measures the server's PSS (whole process tree)
# before and with them all idling, then delivers one message and waits
# until every session has been told EXISTS. tern gets the message by SMTP
# (its delivery pushes to IDLE sessions); Dovecot by a file put into the
# Maildir's new/, which its inotify watch reports. Reported: KiB per idle
# session, how many such sessions 1 GiB holds, the time until the last
# session heard of the new mail, and the ratios.
#
# Run as root (the reference Dovecot needs it, and the file limits are
# raised), by hand; never by the tests. tern's sessions log in 200 at a time:
# the first batch proves the password once per session (yescrypt, and at most
# 256 checks may wait), the later ones are answered by the cache of proven
# logins (auth_cache_size).
# tern runs with imap_processes = 4 (IMAP_PROCESSES): each process has its
# own open file limit, and this machine's hard limit (20,000, which root
# cannot raise in the container) is below the 50,000 sessions the last
# size asks for; the client likewise spreads its sessions over processes.
#   bench/imap_idle.sh
#   SESSIONS="1000 10000 50000" DOVECOT_SESSIONS=500 bench/imap_idle.sh
#   SESSIONS=50000 DOVECOT_SESSIONS=0 ROUNDS=5 bench/imap_idle.sh   (tern alone; 5 messages, rounds 2-5 on stderr)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TERN=${TERN_BINARY:-$ROOT/build/tern}
SESSIONS=${SESSIONS:-"1000 10000 50000"}  # tern
IMAP_PROCESSES=${IMAP_PROCESSES:-4}
DOVECOT_SESSIONS=${DOVECOT_SESSIONS:-500}  # one process each: its per-session cost is flat
RESULTS=${RESULTS:-$ROOT/bench/results-imap-idle.txt}
KEEP=${KEEP:-0}

BENCH_NAME=imap_idle
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"

[[ $(id -u) -eq 0 ]] || die "run as root (the reference Dovecot needs it)"
[[ -x $TERN ]] || die "$TERN missing (./scripts/build.sh)"
command -v dovecot >/dev/null || die "dovecot missing (dovecot-imapd)"
ulimit -n 200000 2>/dev/null || true  # tern raises its soft limit to the hard one itself

work=$(mktemp -d /tmp/tern-bench-idle.XXXXXX)
chmod 755 "$work"
tern_pid=
dovecot_pid=
cleanup() {
  stop_pid_var tern_pid
  stop_pid_var dovecot_pid
  [[ $KEEP == 1 ]] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM  # so that the EXIT trap stops what was started

# tern: IMAP and SMTP on free ports, one user.
port=$(free_port)
smtp_port=$(free_port)
{
  tern_bench_config "$work" "$work/users"
  echo "virtual_mailbox_domains = example.test"
  echo "smtpd_listen = 127.0.0.1:$smtp_port"
  echo "imap_listen = 127.0.0.1:$port"
  echo "mail_max_userip_connections = 0"  # every session is idle@ from 127.0.0.1 (Dovecot's: 100000 below)
  echo "imap_processes = $IMAP_PROCESSES"
  [[ -z ${TERN_CONF:-} ]] || printf '%s\n' "$TERN_CONF"  # extra main.cf lines, e.g. "imap_threads = 8"
} >"$work/main.cf"
: >"$work/users"
echo pass | "$TERN" -c "$work/main.cf" user add "idle@example.test" --password-stdin >/dev/null
"$TERN" -c "$work/main.cf" serve >"$work/tern.stderr" 2>&1 &
tern_pid=$!
wait_banner "$smtp_port" || die "tern did not start: $(cat "$work/tern.stderr")"
tern_deliver="printf 'From: a@b\r\nSubject: push\r\n\r\nnew\r\n' | \
  python3 -c 'import smtplib,sys; smtplib.SMTP(\"127.0.0.1\", $smtp_port).sendmail(\"a@b\", [\"idle@example.test\"], sys.stdin.read())'"

# Dovecot: a throwaway instance with the limits raised so that N sessions of
# one user from one address are allowed (stock: 10 per user and address,
# 100 imap processes).
d=$work/dovecot
mkdir -p "$d/run" "$d/state" "$d/mail"
chown nobody:nogroup "$d/mail"
dport=$(free_port)
echo "idle:{PLAIN}pass::::::" >"$d/users"
cat >"$d/dovecot.conf" <<CONF
protocols = imap
listen = 127.0.0.1
base_dir = $d/run
state_dir = $d/state
instance_name = tern-bench-idle
log_path = $d/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:$d/mail/%u
mail_max_userip_connections = 100000
default_process_limit = 20000
default_client_limit = 40000
default_vsz_limit = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $d/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$d/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $dport
  }
  inet_listener imaps {
    port = 0
  }
  service_count = 0
}
service anvil {
  client_limit = 50000
}
CONF
dovecot -c "$d/dovecot.conf" 2>"$d/start.log" || die "dovecot: $(cat "$d/start.log")"
dovecot_pid=$(cat "$d/run/master.pid")
python3 -c "import imaplib,sys,time
for _ in range(100):
    try: imaplib.IMAP4('127.0.0.1', $dport).logout(); sys.exit(0)
    except OSError: time.sleep(0.1)
sys.exit(1)" || die "dovecot did not start: $(tail -5 "$d/dovecot.log")"
# The Maildir exists once the user has logged in; the message goes into new/ by rename from tmp/.
dovecot_deliver="n=\$(date +%s).\$\$.bench; printf 'From: a@b\nSubject: push\n\nnew\n' >$d/mail/idle/tmp/\$n && \
  chown nobody:nogroup $d/mail/idle/tmp/\$n && mv $d/mail/idle/tmp/\$n $d/mail/idle/new/\$n"

measure() { # server sessions -> key=value line
  local server=$1 n=$2
  if [[ $server == tern ]]; then
    python3 "$ROOT/bench/imap_idle_clients.py" --port "$port" --user idle@example.test --password pass \
      --pid "$tern_pid" --sessions "$n" --batch 200 --deliver "$tern_deliver" --rounds "${ROUNDS:-1}" \
      --maildir "$work/vmail/example.test/idle"
  else
    python3 "$ROOT/bench/imap_idle_clients.py" --port "$dport" --user idle --password pass \
      --pid "$dovecot_pid" --sessions "$n" --batch 100 --deliver "$dovecot_deliver" --maildir "$d/mail/idle"
  fi
}
field() { sed -E "s/.*$1=([^ ]+).*/\1/" <<<"$2"; }

{
  echo "# bench/imap_idle.sh  $(date -u +%Y-%m-%dT%H:%MZ)  $(uname -r)  $(nproc) cores  $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "# N IDLE sessions of one user on loopback; PSS of the server's process tree; one new message pushed to all"
  echo "# open file limit $(ulimit -Hn) per process; tern: imap_processes = $IMAP_PROCESSES"
  echo "# cpu_s: CPU seconds used from the delivery until the last session was told, by the server's processes and the client's"
  echo "# *_push_s: from the start of the delivery (tern: a Python SMTP client, the queue's fsync, the delivery); landed_s: until"
  echo "#   the message was in new/ (inotify); last_after_landed: last_push_s - landed_s, the push alone"
  row='%-8s %9s %14s %16s %12s %12s %14s %10s %16s %12s %12s\n'
  # shellcheck disable=SC2059
  printf "$row" server sessions KiB/session sessions/GiB p50_push_s p99_push_s last_push_s landed_s last_after_landed server_cpu_s client_cpu_s
  line() { # server sessions measurement
    # shellcheck disable=SC2059
    printf "$row" "$1" "$2" "$(field kib_per_session "$3")" \
      "$(python3 -c "print(int(1048576/max(float('$(field kib_per_session "$3")'),0.001)))")" "$(field p50_push_s "$3")" \
      "$(field p99_push_s "$3")" "$(field last_push_s "$3")" "$(field landed_s "$3")" \
      "$(field push_after_landing_s "$3")" "$(field server_cpu_s "$3")" "$(field client_cpu_s "$3")"
  }
  if [[ $DOVECOT_SESSIONS != 0 ]]; then
    dov=$(measure dovecot "$DOVECOT_SESSIONS")
    line dovecot "$DOVECOT_SESSIONS" "$dov"
  fi
  for n in $SESSIONS; do
    out=$(measure tern "$n")
    line tern "$n" "$out"
    echo "# $out"
    [[ $DOVECOT_SESSIONS == 0 ]] ||
      echo "# tern/dovecot memory per session at $n: $(python3 -c "print(f'{float(\"$(field kib_per_session "$out")\")/float(\"$(field kib_per_session "$dov")\"):.3f}')")"
  done
} | tee "$RESULTS"
