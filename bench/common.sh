# shellcheck shell=bash
# Helpers shared by the benchmark scripts (sourced, not run): free ports,
# waiting for a banner, counting a Maildir, medians, stopping a process,
# the throwaway Postfix instance and the machine header of a results file,
# the smtp-sink next hop and the delay= figures of a relay log.
# The caller sets ROOT, POSTFIX, POSTCONF and BENCH_NAME (for messages);
# relay_programs sets the programs of the relay benchmarks.

die() { echo "${BENCH_NAME:-bench}: $*" >&2; exit 1; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits until something on 127.0.0.1:$1 answers with a 220 banner.
wait_banner() {
  local port=$1 deadline=$((SECONDS + 30)) line
  while ((SECONDS < deadline)); do
    if { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
      line=
      read -r -t 5 line <&3 || true
      printf 'QUIT\r\n' >&3 2>/dev/null || true
      exec 3<&- 3>&-
      [[ $line == 220* ]] && return 0
    fi
    sleep 0.1
  done
  return 1
}

count_new() { # files in a Maildir's new/, without forking
  local -a f
  shopt -s nullglob
  f=("$1"/new/*)
  shopt -u nullglob
  echo ${#f[@]}
}

# The median of the arguments; FAIL(...) if any run failed.
median() {
  local v
  for v in "$@"; do [[ $v == FAIL* ]] && { echo "$v"; return; }; done
  printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# SIGTERM to pid $1, up to 15 s for it to go, then SIGKILL; reaps it if it is our child.
stop_pid() {
  local pid=$1 i
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Stops the process whose PID is in the variable named $1, and empties it.
stop_pid_var() {
  local -n ref=$1
  [[ -n $ref ]] || return 0
  stop_pid "$ref"
  ref=''
}

# The main.cf lines every tern of a benchmark has, for state dir $1 and
# passwd-file $2: rcpt@bench.test and the other accounts are virtual
# Maildirs under $1/vmail; the daemon stays the user who started it.
tern_bench_config() {
  cat <<EOF
myhostname = bench.test-host
mynetworks = 127.0.0.0/8
virtual_mailbox_domains = bench.test
virtual_mailbox_base = $1/vmail
user_database = passwd-file:$2
queue_directory = $1/queue
maillog_file = $1/maillog
mail_owner =
smtpd_client_connection_count_limit = 0
EOF
}

# A throwaway Postfix in $1 (etc/, queue/, data/, vmail/) delivering
# rcpt@bench.test to the Maildir $1/vmail/bench.test/rcpt/. master.cf is
# the stock one with every service out of chroot (the throwaway queue has no
# jail) and the "smtp inet" line replaced by $2 (a master.cf entry, lines
# separated by \n). Further "name = value" settings for main.cf follow.
# Sets PF_DIR; does not start it.
setup_postfix() {
  local d=$1 service=$2 uid gid
  shift 2
  uid=$(id -u postfix)
  gid=$(id -g postfix)
  mkdir -p "$d/etc" "$d/queue" "$d/data" "$d/vmail"
  chown postfix:postfix "$d/data" "$d/vmail"
  : >"$d/etc/main.cf"
  awk -v service="$service" '
    /^[#[:space:]]/ || NF < 8 { print; next }
    $1 == "smtp" && $2 == "inet" { print service; next }
    { $5 = "n"; print }
  ' /usr/share/postfix/master.cf.dist >"$d/etc/master.cf"
  printf 'rcpt@bench.test bench.test/rcpt/\n' >"$d/etc/vmailbox"
  : >"$d/maillog"
  "$POSTCONF" -c "$d/etc" -e \
    "compatibility_level = 3.6" \
    "queue_directory = $d/queue" \
    "data_directory = $d/data" \
    "meta_directory = /etc/postfix" \
    "shlib_directory = /usr/lib/postfix" \
    "myhostname = bench.test-host" \
    "inet_interfaces = 127.0.0.1" \
    "inet_protocols = ipv4" \
    "mydestination =" \
    "mynetworks = 127.0.0.0/8" \
    "alias_maps =" \
    "alias_database =" \
    "virtual_mailbox_domains = bench.test" \
    "virtual_mailbox_base = $d/vmail" \
    "virtual_mailbox_maps = texthash:$d/etc/vmailbox" \
    "virtual_uid_maps = static:$uid" \
    "virtual_gid_maps = static:$gid" \
    "maillog_file = $d/maillog" \
    "maillog_file_prefixes = $d" \
    "default_process_limit = 100" \
    "smtpd_client_connection_count_limit = 0" \
    "smtpd_client_connection_rate_limit = 0"
  if (($# > 0)); then "$POSTCONF" -c "$d/etc" -e "$@"; fi
  "$POSTFIX" -c "$d/etc" set-permissions >"$d/setup.log" 2>&1 || true
  "$POSTFIX" -c "$d/etc" check >>"$d/setup.log" 2>&1 || { cat "$d/setup.log" >&2; die "postfix check failed"; }
  PF_DIR=$d
}

# Starts the Postfix set up in $1 and waits for the banner on port $2.
run_postfix() {
  local d=$1 port=$2
  "$POSTFIX" -c "$d/etc" start >>"$d/setup.log" 2>&1 || { cat "$d/setup.log" >&2; die "postfix did not start"; }
  wait_banner "$port" || { cat "$d/setup.log" "$d/maillog" >&2; die "postfix smtpd does not answer"; }
}

postfix_master_pid() { tr -dc 0-9 2>/dev/null <"$PF_DIR/queue/pid/master.pid" || true; }

stop_postfix() {
  [[ -n $PF_DIR ]] || return 0
  "$POSTFIX" -c "$PF_DIR/etc" stop >>"$PF_DIR/setup.log" 2>&1 || true
  # "postfix stop" returns before master has exited: wait for its pid file to go.
  local pid i
  pid=$(postfix_master_pid)
  if [[ -n $pid ]]; then
    for ((i = 0; i < 150; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  PF_DIR=
}

# The machine part of a results header: date, host, CPU, disk of $1, load, tern binary $2.
machine_header() {
  local work=$1 tern=$2 dev
  echo "# date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# host:     $(uname -srm), nproc=$(nproc), $(awk '/MemTotal/ {printf "%.1f GiB RAM", $2/1048576}' /proc/meminfo)"
  echo "# cpu:      $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "# disk:     $(df -hT "$work" | awk 'NR==2 {print $1, $2, $3 " total"}') for $(dirname "$work"), options $(findmnt -no OPTIONS -T "$work" 2>/dev/null || echo '?')"
  dev=$(findmnt -no SOURCE -T "$work" 2>/dev/null | sed 's|^/dev/||')
  if [[ -r /sys/fs/ext4/$dev/journal_task ]]; then
    echo "# ext4:     journal task $(cat "/sys/fs/ext4/$dev/journal_task") (<none> = no journal)"
  fi
  echo "# load:     $(cut -d' ' -f1-3 /proc/loadavg) before the run (other work on the machine skews the numbers)"
  # The tree the binary sits in (TERN_BINARY may be another worktree's build).
  local tree
  tree=$(dirname "$(readlink -f "$tern")")
  echo "# tern:     $tern built $(date -u -r "$tern" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || echo '?'), tree at $(git -C "$tree" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$tree" diff --quiet -- . ':!bench/results-*' 2>/dev/null || echo ' (dirty: the binary may hold uncommitted changes)')"
}

# Postfix's smtp-sink on 127.0.0.1:$2 (answers everything, keeps nothing),
# its output in $1/sink.log; sets SINK_PID.
start_sink() {
  "$SMTP_SINK" -u nobody "127.0.0.1:$2" 1000 >"$1/sink.log" 2>&1 &
  SINK_PID=$!
  wait_banner "$2" || { cat "$1/sink.log" >&2; die "smtp-sink did not start"; }
}

# status=sent lines in log $1 (tern's and Postfix's have the same form).
sent_lines() { grep -c 'status=sent' "$1" 2>/dev/null || true; }

# Median and p99 of the delay= values of the status=sent lines of log $1
# (or of stdin when $1 is -).
delays() {
  { grep 'status=sent' "$1" || true; } | sed -n 's/.* delay=\([0-9.]*\),.*/\1/p' | sort -g |
    awk '{ a[NR] = $1 } END { if (!NR) { print "- -"; exit } m = a[int((NR + 1) / 2)]; i = int(NR * 0.99 + 0.999); if (i < 1) i = 1; printf "%.2f %.2f\n", m, a[i] }'
}

# The EXIT trap of a relay benchmark: kills smtp-source (SOURCE_PID), stops
# the throwaway Postfix and the processes whose PIDs are in the variables
# named by the arguments, removes WORK unless KEEP=1, and exits with the
# status the script was leaving with.
relay_exit() {
  local rc=$? v
  if [[ -n ${SOURCE_PID:-} ]]; then kill "$SOURCE_PID" 2>/dev/null || true; fi
  stop_postfix || true
  for v in "$@"; do stop_pid_var "$v" || true; done
  if [[ ${KEEP:-0} == 1 ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
  exit $rc
}

# The programs of the relay benchmarks (each overridable by its variable,
# tern by TERN_BINARY), and the check that they are there and we are root.
relay_programs() {
  TERN=${TERN_BINARY:-$ROOT/build/tern}
  SMTP_SOURCE=${SMTP_SOURCE:-/usr/sbin/smtp-source}
  SMTP_SINK=${SMTP_SINK:-/usr/sbin/smtp-sink}
  POSTFIX=${POSTFIX:-/usr/sbin/postfix}
  POSTCONF=${POSTCONF:-/usr/sbin/postconf}
  POSTQUEUE=${POSTQUEUE:-/usr/sbin/postqueue}
  [[ $(id -u) -eq 0 ]] || die "run as root (the throwaway Postfix instance needs it)"
  local b
  for b in "$SMTP_SOURCE" "$SMTP_SINK" "$POSTFIX" "$POSTCONF" "$POSTQUEUE"; do
    [[ -x $b ]] || die "$b missing (apt-get install postfix)"
  done
  [[ -x $TERN ]] || die "$TERN missing (./scripts/build.sh)"
}

# A throwaway tern in dir $1 listening on 127.0.0.1:$2, with the lines of
# tern_bench_config and the further main.cf lines given; sets TERN_PID and
# waits for its banner.
run_tern() {
  local d=$1 port=$2 line
  shift 2
  mkdir -p "$d/queue" "$d/vmail"
  {
    tern_bench_config "$d" "$d/users"
    echo "smtpd_listen = 127.0.0.1:$port"
    for line in "$@"; do echo "$line"; done
  } >"$d/main.cf"
  : >"$d/users"
  "$TERN" -c "$d/main.cf" serve >"$d/stderr.log" 2>&1 &
  TERN_PID=$!
  wait_banner "$port" || { cat "$d/stderr.log" >&2; die "tern did not start"; }
}
