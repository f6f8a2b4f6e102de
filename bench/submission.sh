#!/usr/bin/env bash
# Mail submission benchmark: tern vs a throwaway Postfix set up the same way
# (STARTTLS on a submission port, AUTH PLAIN against one passwd-file: tern
# reads it itself, Postfix through a throwaway Dovecot auth service), one
# message per session, in the same run. See bench/README.md.
#
# Two measurements:
#   throughput  at 1, 10 and 50 concurrent sessions, bench/load's
#               smtp-tls-load sends MSGS messages (connect, EHLO, STARTTLS,
#               EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT each); sessions/s is
#               the client's (until its last QUIT), msg/s is end-to-end
#               (until the last message is in the Maildir's new/). A third
#               column, "sink", is the same client against its own trivial
#               TLS sink: the most this client can show on this machine.
#   memory      IDLE sessions held open after the EHLO that follows
#               STARTTLS; the PSS the server's processes gained, per session
#               (Postfix: its processes plus Dovecot's).
#
# Run as root (Postfix and Dovecot need it), by hand; never by the test suite.
#   bench/submission.sh
#   MSGS=200 REPEAT=1 IDLE=20 bench/submission.sh       # quick run
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TERN=${TERN_BINARY:-$ROOT/build/tern}
LOAD=${LOAD_BINARY:-$ROOT/build/smtp-tls-load}
POSTFIX=${POSTFIX:-/usr/sbin/postfix}
POSTCONF=${POSTCONF:-/usr/sbin/postconf}
DOVECOT=${DOVECOT:-/usr/sbin/dovecot}

SESSIONS=${SESSIONS:-"1 10 50"}          # concurrent sessions of the client
MSGS=${MSGS:-2000}                       # messages per cell (one per session)
SIZE=${SIZE:-1024}                       # body bytes
SERVERS=${SERVERS:-"tern postfix sink"}
REPEAT=${REPEAT:-3}                      # runs per cell and server; the table shows the median
IDLE=${IDLE:-50}                         # idle TLS sessions for the memory measurement (0: skip it)
HASH=${HASH:-sha512-crypt}               # password hash of the passwd-file: sha512-crypt or yescrypt
RESUME=${RESUME:-0}                      # 1: clients resume TLS sessions (tickets); 0: a full handshake each
CLIENT_THREADS=${CLIENT_THREADS:-1}      # smtp-tls-load --threads
DELIVERY_TIMEOUT=${DELIVERY_TIMEOUT:-300}
RESULTS=${RESULTS:-$ROOT/bench/results-submission.txt}
KEEP=${KEEP:-0}                          # KEEP=1 keeps the temp dir (logs, configurations)

BENCH_NAME=submission
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"

[[ $(id -u) -eq 0 ]] || die "run as root (the throwaway Postfix and Dovecot need it)"
has() { [[ " $SERVERS " == *" $1 "* ]]; }
if [[ ! -x $LOAD ]]; then
  [[ -f $ROOT/build/build.ninja ]] || die "$LOAD missing and no build/ to build it in (./scripts/build.sh)"
  ninja -C "$ROOT/build" smtp-tls-load >/dev/null || die "cannot build smtp-tls-load (ninja -C build smtp-tls-load)"
fi
if has tern; then [[ -x $TERN ]] || die "$TERN missing (./scripts/build.sh)"; fi
if has postfix; then
  [[ -x $POSTFIX ]] || die "$POSTFIX missing (apt-get install postfix)"
  [[ -x $DOVECOT ]] || die "$DOVECOT missing (scripts/install-deps.sh installs dovecot-core)"
  id postfix >/dev/null 2>&1 || die "no 'postfix' user (apt-get install postfix)"
fi
case $HASH in sha512-crypt | yescrypt) ;; *) die "HASH must be sha512-crypt or yescrypt, not '$HASH'" ;; esac

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tern-submission.XXXXXX")
chmod 755 "$WORK" # Postfix's and Dovecot's unprivileged processes must traverse it
TERN_PID='' PF_DIR='' DOVE_DIR='' SINK_PID='' CLIENT_PID=''

cleanup() {
  local rc=$?
  if [[ -n $CLIENT_PID ]]; then kill "$CLIENT_PID" 2>/dev/null || true; fi
  stop_tern || true
  stop_postfix_all || true
  stop_sink || true
  if [[ $KEEP == 1 ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- shared material
# One certificate for every server: ECDSA P-256, self-signed.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench.test-host \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null || die "openssl cannot make a certificate"
chmod 644 "$WORK/cert.pem" "$WORK/key.pem" # throwaway key: Postfix's smtpd reads it after dropping privileges

# One passwd-file (Dovecot's format, which tern reads too) with the sender
# who authenticates and the recipient's account (tern delivers to accounts).
case $HASH in
  sha512-crypt) HASHED="{SHA512-CRYPT}$(openssl passwd -6 bench)" ;;
  yescrypt) HASHED="{CRYPT}$(/usr/bin/python3 -W ignore -c 'import crypt, secrets, string
a = "./" + string.digits + string.ascii_uppercase + string.ascii_lowercase
print(crypt.crypt("bench", "$y$j9T$" + "".join(secrets.choice(a) for _ in range(16)) + "$"))')" ;;
esac
for u in sender@bench.test rcpt@bench.test; do echo "$u:$HASHED::::::"; done >"$WORK/users"
chmod 644 "$WORK/users"

# ---------------------------------------------------------------- tern
start_tern() { # $1 = state dir, $2 = port
  local d=$1 port=$2
  mkdir -p "$d/queue" "$d/vmail"
  {
    tern_bench_config "$d" "$WORK/users"
    echo "smtpd_listen = 127.0.0.1:$(free_port)"
    echo "submission_listen = 127.0.0.1:$port"
    echo "smtpd_tls_cert_file = $WORK/cert.pem"
    echo "smtpd_tls_key_file = $WORK/key.pem"
    echo "submission_sasl_auth_enable = yes" # Postfix: -o smtpd_sasl_auth_enable=yes in master.cf
  } >"$d/main.cf"
  "$TERN" -c "$d/main.cf" serve >"$d/stderr.log" 2>&1 &
  TERN_PID=$!
  wait_banner "$port" || { cat "$d/stderr.log" >&2; die "tern did not start"; }
  SERVER_PIDS=$TERN_PID
}

stop_tern() { stop_pid_var TERN_PID; }

# ---------------------------------------------------------------- Postfix + Dovecot
# Dovecot as Postfix's SASL service (smtpd_sasl_type = dovecot): its own
# configuration, run and state directories under $1/dovecot, the auth socket
# there for Postfix, no protocol served. Stopped by the PID it writes.
start_dovecot() {
  local d=$1/dovecot
  mkdir -p "$d"
  chmod 755 "$d"
  cat >"$d/dovecot.conf" <<EOF
base_dir = $d/run
state_dir = $d/state
log_path = $d/dovecot.log
protocols = none
ssl = no
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=CRYPT username_format=%u $WORK/users
}
userdb {
  driver = static
  args = uid=postfix gid=postfix home=/nonexistent
}
service auth {
  unix_listener $d/auth-postfix {
    mode = 0660
    user = postfix
    group = postfix
  }
}
EOF
  DOVE_DIR=$d
  "$DOVECOT" -c "$d/dovecot.conf" || { cat "$d/dovecot.log" >&2 2>/dev/null; die "dovecot did not start"; }
  local i
  for ((i = 0; i < 100; i++)); do
    [[ -S $d/auth-postfix ]] && return 0
    sleep 0.1
  done
  cat "$d/dovecot.log" >&2
  die "dovecot made no auth socket at $d/auth-postfix"
}

dovecot_pid() { tr -dc 0-9 2>/dev/null <"$DOVE_DIR/run/master.pid" || true; }

stop_dovecot() {
  [[ -n $DOVE_DIR ]] || return 0
  stop_pid "$(dovecot_pid)"
  DOVE_DIR=
}

# The submission entry of Debian's master.cf, uncommented, on our port.
PF_SUBMISSION='127.0.0.1:PORT inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject'

start_postfix() { # $1 = state dir, $2 = port
  local d=$1 port=$2
  start_dovecot "$d"
  setup_postfix "$d" "${PF_SUBMISSION//PORT/$port}" \
    "smtpd_tls_cert_file = $WORK/cert.pem" \
    "smtpd_tls_key_file = $WORK/key.pem" \
    "smtpd_sasl_type = dovecot" \
    "smtpd_sasl_path = $DOVE_DIR/auth-postfix" \
    "default_process_limit = $((IDLE > 80 ? IDLE + 20 : 100))"
  run_postfix "$d" "$port"
  SERVER_PIDS="$(postfix_master_pid) $(dovecot_pid)"
}

stop_postfix_all() {
  stop_postfix
  stop_dovecot
}

# ---------------------------------------------------------------- sink
start_sink() { # $1 = state dir, $2 = port
  "$LOAD" --sink "127.0.0.1:$2" --cert "$WORK/cert.pem" --key "$WORK/key.pem" >"$1/sink.log" 2>&1 &
  SINK_PID=$!
  wait_banner "$2" || { cat "$1/sink.log" >&2; die "the sink did not start"; }
  SERVER_PIDS=$SINK_PID
}

stop_sink() { stop_pid_var SINK_PID; }

stop_server() { # $1 = server
  case $1 in
    postfix) stop_postfix_all ;;
    *) "stop_$1" ;;
  esac
}

# ---------------------------------------------------------------- measuring
client_args() { # $1 = port
  local a=(--server "127.0.0.1:$1" --user sender@bench.test --password bench --to rcpt@bench.test
    --size "$SIZE" --threads "$CLIENT_THREADS")
  [[ $RESUME == 1 ]] && a+=(--resume)
  printf '%s\n' "${a[@]}"
}

# The value of key $2 in the client's summary line in file $1.
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$1" | head -1; }

# One throughput cell: sets SESS_RATE and MSG_RATE (or FAIL(...)).
run_cell() { # $1 = server, $2 = sessions
  local server=$1 sessions=$2 d port maildir t0 t1 n deadline rc=0 args
  d="$WORK/$server-$sessions-$REP"
  mkdir -p "$d"
  port=$(free_port)
  "start_$server" "$d" "$port"
  maildir="$d/vmail/bench.test/rcpt"
  sync
  mapfile -t args < <(client_args "$port")
  t0=$EPOCHREALTIME
  "$LOAD" "${args[@]}" -s "$sessions" -m "$MSGS" >"$d/client.log" 2>&1 &
  CLIENT_PID=$!
  wait "$CLIENT_PID" || rc=$?
  CLIENT_PID=
  deadline=$((SECONDS + DELIVERY_TIMEOUT))
  if [[ $server == sink ]]; then
    n=$(field "$d/client.log" ok_msgs) # the sink keeps nothing: the clock is the client's
    t1=$(awk -v a="$t0" -v s="$(field "$d/client.log" seconds)" 'BEGIN { printf "%.6f", a + s }')
  else
    while n=$(count_new "$maildir"); ((n < MSGS && SECONDS < deadline)); do sleep 0.02; done
    t1=$EPOCHREALTIME
  fi
  stop_server "$server"
  SESS_RATE=$(field "$d/client.log" sessions_per_s)
  if ((rc != 0 || n < MSGS)); then
    SESS_RATE="FAIL"
    MSG_RATE="FAIL(${n:-0}/$MSGS)"
    {
      echo "  $server s=$sessions run $REP: client exit $rc, $n of $MSGS delivered; client said:"
      sed 's/^/    /' "$d/client.log" | head -12
    } >&2
    sed 's/^/# /' "$d/client.log" | head -12 | sed "s/^/# $server s=$sessions run $REP: /" >>"$WORK/details"
    return
  fi
  MSG_RATE=$(awk -v n="$MSGS" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }')
  printf '# %-7s s=%-3d run %d: client %s s (%s sessions/s, %s resumed, %s ms CPU per session), last delivery %.2f s (%s msg/s)\n' \
    "$server" "$sessions" "$REP" "$(field "$d/client.log" seconds)" "$SESS_RATE" "$(field "$d/client.log" resumed)" \
    "$(field "$d/client.log" client_cpu_ms_per_session)" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$MSG_RATE" >>"$WORK/details"
}

# Every process of the trees rooted at the PIDs given.
tree_pids() {
  ps -e -o pid=,ppid= | awk -v roots="$*" '
    BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1 }
    { parent[$1] = $2; pids[NR] = $1 }
    END {
      do { added = 0; for (i in pids) { p = pids[i]; if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; added = 1 } } } while (added)
      for (p in keep) print p
    }'
}

# Sum of PSS (KiB) of the trees rooted at the PIDs given; with a name as $1
# = "comm=NAME", only the processes with that command name.
pss_kib() {
  local only='' p sum=0 v
  if [[ $1 == comm=* ]]; then only=${1#comm=}; shift; fi
  for p in $(tree_pids "$@"); do
    [[ -z $only || $(cat "/proc/$p/comm" 2>/dev/null) == "$only" ]] || continue
    v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || true)
    sum=$((sum + ${v:-0}))
  done
  echo $sum
}
count_procs() { # $1 = comm, then roots
  local name=$1 p n=0
  shift
  for p in $(tree_pids "$@"); do [[ $(cat "/proc/$p/comm" 2>/dev/null) == "$name" ]] && n=$((n + 1)); done
  echo $n
}

# Memory of IDLE idle TLS sessions on server $1: appends a line to $WORK/memory.
run_memory() {
  local server=$1 d port args before after pf_before pf_after dv_before dv_after i line extra=
  d="$WORK/$server-idle"
  mkdir -p "$d"
  port=$(free_port)
  "start_$server" "$d" "$port"
  mapfile -t args < <(client_args "$port")
  # One full session first, so that what any first session starts (Postfix's
  # tlsmgr and its smtpd's link to Dovecot, tern's worker threads) is there
  # in both measurements.
  "$LOAD" "${args[@]}" -s 1 -m 1 >"$d/warmup.log" 2>&1 || [[ $server == tern && $TERN_TLS_ONLY == 1 ]] || {
    cat "$d/warmup.log" >&2
    stop_server "$server"
    echo "$server FAIL(warm-up session failed: $(grep -m1 failure: "$d/warmup.log"))" >>"$WORK/memory"
    return
  }
  if [[ $server == postfix ]]; then
    pf_before=$(pss_kib "$(postfix_master_pid)")
    dv_before=$(pss_kib "$(dovecot_pid)")
    before=$((pf_before + dv_before))
  else
    before=$(pss_kib $SERVER_PIDS) # several PIDs: split on purpose
  fi
  "$LOAD" "${args[@]}" -s 10 --idle "$IDLE" --hold 600 >"$d/idle.log" 2>&1 &
  CLIENT_PID=$!
  for ((i = 0; i < 600; i++)); do
    grep -q idle-ready "$d/idle.log" && break
    kill -0 "$CLIENT_PID" 2>/dev/null || break
    sleep 0.1
  done
  line=$(grep idle-ready "$d/idle.log" || true)
  if [[ $server == postfix ]]; then
    pf_after=$(pss_kib "$(postfix_master_pid)")
    dv_after=$(pss_kib "$(dovecot_pid)")
    after=$((pf_after + dv_after))
    local n_smtpd smtpd_pss
    n_smtpd=$(count_procs smtpd "$(postfix_master_pid)")
    smtpd_pss=$(pss_kib comm=smtpd "$(postfix_master_pid)")
    extra=$(awk -v a="$pf_before" -v b="$pf_after" -v c="$dv_before" -v e="$dv_after" -v k="$IDLE" -v n="$n_smtpd" -v s="$smtpd_pss" \
      'BEGIN { printf "postfix %+.1f KiB + dovecot %+.1f KiB per session; %d smtpd processes, %.0f KiB PSS each", (b - a) / k, (e - c) / k, n, n ? s / n : 0 }')
  else
    after=$(pss_kib $SERVER_PIDS) # several PIDs: split on purpose
  fi
  stop_pid "$CLIENT_PID"
  CLIENT_PID=
  stop_server "$server"
  local open
  open=$(sed -n 's/.* open=\([0-9]*\).*/\1/p' <<<"$line")
  if [[ -z $line || ${open:-0} -ne $IDLE ]]; then
    echo "$server FAIL(${open:-0}/$IDLE idle sessions opened: $(grep -m1 failure: "$d/idle.log" || echo no failure line))" >>"$WORK/memory"
    return
  fi
  printf '%s %d %d %d %s\n' "$server" "$IDLE" "$before" "$after" "$extra" >>"$WORK/memory"
}

# ---------------------------------------------------------------- preflight
# tern's TLS and AUTH come with issue 8: if this tern cannot do a
# submission session, say why and leave it out rather than fail every cell.
# If it does STARTTLS but fails later (AUTH), it still gets the memory
# measurement, which needs no more than the EHLO after STARTTLS.
TERN_TLS_ONLY=0
if has tern; then
  d="$WORK/tern-probe"
  mkdir -p "$d"
  port=$(free_port)
  start_tern "$d" "$port"
  mapfile -t args < <(client_args "$port")
  if ! "$LOAD" "${args[@]}" -s 1 -m 1 >"$d/client.log" 2>&1; then
    why=$(grep -m1 failure: "$d/client.log" | cut -c1-160)
    if [[ $why == *" x "@(banner|connect|EHLO|STARTTLS|handshake)* ]]; then
      TERN_SKIPPED="tern skipped: this binary cannot do a submission session yet ($why)"
      SERVERS=${SERVERS/tern/}
    else
      TERN_SKIPPED="tern left out of the throughput table, measured for memory only: it does STARTTLS but not a whole submission session ($why)"
      TERN_TLS_ONLY=1
    fi
    echo "$TERN_SKIPPED" >&2
  fi
  stop_tern
fi

# ---------------------------------------------------------------- main
{
  echo "# tern vs Postfix, mail submission: STARTTLS + AUTH PLAIN, 1 msg/session, end-to-end to a Maildir (fsync on)"
  echo "# runs:     $REPEAT per cell and server, taking turns; the table shows the medians"
  echo "# client:   bench/load smtp-tls-load, $CLIENT_THREADS thread(s), TLS resumption $([[ $RESUME == 1 ]] && echo on || echo 'off (a full handshake per session)'), body $SIZE bytes, ECDSA P-256 certificate, passwords $HASH"
  machine_header "$WORK" "$TERN"
  echo "# postfix:  $("$POSTCONF" -d -h mail_version 2>/dev/null || echo '?') with Dovecot $("$DOVECOT" --version 2>/dev/null | cut -d' ' -f1) SASL; $(openssl version)"
  if [[ -n ${TERN_SKIPPED:-} ]]; then echo "# $TERN_SKIPPED"; fi
} | tee "$WORK/header"
: >"$WORK/details"
: >"$WORK/memory"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2f", a / b; else print "-" }'; }

printf '\n%8s %6s   %10s %9s   %10s %9s   %7s %7s   %10s %9s\n' "" "" "tern" "" "postfix" "" "tern/postfix" "" "sink" "" | tee "$WORK/table"
printf '%8s %6s   %10s %9s   %10s %9s   %7s %7s   %10s %9s\n' sessions msgs "sessions/s" "msg/s" "sessions/s" "msg/s" \
  "sess" "msg" "sessions/s" "sink/pf" | tee -a "$WORK/table"
for s in $SESSIONS; do
  declare -A sr=() mr=() srs=() mrs=()
  for ((REP = 1; REP <= REPEAT; REP++)); do
    for server in tern postfix sink; do
      if has $server && ! [[ $server == tern && $TERN_TLS_ONLY == 1 ]]; then
        run_cell $server "$s"
        srs[$server]+=" $SESS_RATE"
        mrs[$server]+=" $MSG_RATE"
      fi
    done
  done
  for server in tern postfix sink; do
    sr[$server]=- mr[$server]=-
    if [[ -n ${srs[$server]:-} ]]; then
      sr[$server]=$(median ${srs[$server]})
      mr[$server]=$(median ${mrs[$server]})
    fi
  done
  printf '%8s %6s   %10s %9s   %10s %9s   %7s %7s   %10s %9s\n' "$s" "$MSGS" "${sr[tern]}" "${mr[tern]}" "${sr[postfix]}" \
    "${mr[postfix]}" "$(ratio "${sr[tern]}" "${sr[postfix]}")" "$(ratio "${mr[tern]}" "${mr[postfix]}")" "${sr[sink]}" \
    "$(ratio "${sr[sink]}" "${sr[postfix]}")" | tee -a "$WORK/table"
done

if ((IDLE > 0)); then
  for server in tern postfix; do has $server && run_memory $server; done
  {
    echo
    echo "# memory per idle TLS session: $IDLE sessions held after the EHLO that follows STARTTLS; PSS of the server's processes"
    printf '%-8s %5s %12s %12s %14s   %s\n' server idle "PSS before" "PSS after" "per session" "detail"
    awk '
      $2 ~ /^FAIL/ { printf "%-8s %s\n", $1, substr($0, index($0, $2)); next }
      { per = ($4 - $3) / $2; if ($1 == "postfix") pf = per; if ($1 == "tern") tn = per
        d = ""; for (i = 5; i <= NF; i++) d = d " " $i
        printf "%-8s %5d %8.1f MiB %8.1f MiB %10.1f KiB  %s\n", $1, $2, $3 / 1024, $4 / 1024, per, d }
      END { if (pf > 0 && tn != "") printf "tern/postfix per idle TLS session: %.3f (goal: at most 0.100)\n", tn / pf }
    ' "$WORK/memory"
  } | tee "$WORK/memtable"
else
  : >"$WORK/memtable"
fi

echo
echo "# detail, every run"
cat "$WORK/details"
cat "$WORK/header" "$WORK/table" "$WORK/memtable" <(echo) <(echo "# detail, every run") "$WORK/details" >"$RESULTS"
echo
echo "written to $RESULTS"
