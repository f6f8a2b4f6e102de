#!/usr/bin/env bash
# Installs everything tern needs to build, run and test on Debian 12.
# Idempotent: skips apt entirely when every package is already present.
set -euo pipefail

pkgs=(
  # build
  build-essential cmake ninja-build ccache clang libclang-rt-14-dev pkg-config
  # libraries
  libasio-dev libssl-dev libfmt-dev libcli11-dev liblmdb-dev libcrypt-dev libgtest-dev zlib1g-dev
  # dns module: the asynchronous, DNSSEC-validating resolver library
  libunbound-dev
  # mime module: MIME header grammars (RFC 2045/2231/2047, address lists)
  libgmime-3.0-dev
  # test clients and peers
  python3 python3-pytest python3-pytest-xdist python3-aiosmtpd swaks curl postfix procps openssl perl util-linux
  # swaks --tls needs these (test_tls.py)
  libnet-ssleay-perl libio-socket-ssl-perl
  # strace: the syscall-order and root-open tests (RELIABILITY.md #31, #56)
  strace
  # dovecot-core: the SASL service of the throwaway Postfix in bench/submission.sh;
  # dovecot-pop3d and -imapd: the throwaway Dovecot that reads tern's Maildirs
  # in the interop tests, and the peer of the IMAP benchmark
  dovecot-core dovecot-pop3d dovecot-imapd
  # fail2ban: only its fail2ban-regex, which checks that the stock postfix
  # filter reads tern's AUTH failure lines (test_auth.py); no daemon runs.
  fail2ban
  # the throwaway DNS server of the dns tests (tests/e2e/dns_server.py)
  unbound
  # POP3/IMAP clients of the e2e tests (test_pop3.py, test_imap.py,
  # test_imap_mutt.py)
  fetchmail isync neomutt
  # imaptest, Dovecot's IMAP load generator and consistency checker, built
  # from tests/tools/imaptest (test_imaptest.py, bench/imap.sh)
  dovecot-dev autoconf automake libtool
)

# The unprivileged user tern's daemon runs as when started by root (mail_owner),
# created like Debian's postfix package creates "postfix".
if [ "$(id -u)" -eq 0 ] && ! id tern >/dev/null 2>&1; then
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin tern
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# Postfix is only a peer for benchmarks (smtp-source): never leave a system MTA configured or listening.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
# unbound's postinst would start a system resolver: mask it first where
# systemd runs (undone below only to the point of "disabled").
if [ -d /run/systemd/system ]; then
  $SUDO systemctl mask unbound.service unbound-resolvconf.service >/dev/null 2>&1 || true
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Debian's postinst may start a postfix instance even with "No configuration"; make sure none runs.
$SUDO postfix stop >/dev/null 2>&1 || true
# Dovecot is only a peer for a benchmark (bench/submission.sh starts its own
# with its own configuration): its postinst starts and enables the system
# one, which must neither run nor start at boot.
if dpkg-query -W -f='${Status}' dovecot-core 2>/dev/null | grep -q 'install ok installed'; then
  if command -v systemctl >/dev/null; then
    # disable works on the unit files even where systemd is not running.
    $SUDO systemctl disable dovecot.service dovecot.socket >/dev/null 2>&1 || true
    [ -d /run/systemd/system ] && $SUDO systemctl stop dovecot.service dovecot.socket >/dev/null 2>&1 || true
  fi
  $SUDO update-rc.d dovecot disable >/dev/null 2>&1 || true
  $SUDO doveadm stop >/dev/null 2>&1 || true
fi
# Likewise fail2ban: its package enables a daemon that would ban test clients.
$SUDO fail2ban-client stop >/dev/null 2>&1 || true
$SUDO systemctl disable --now fail2ban >/dev/null 2>&1 || true
# Likewise unbound is only the tests' throwaway DNS server: no system resolver
# daemon left running or enabled (it would take port 53 and, through
# unbound-resolvconf, rewrite /etc/resolv.conf).
if [ -d /run/systemd/system ]; then
  $SUDO systemctl unmask unbound.service unbound-resolvconf.service >/dev/null 2>&1 || true
  $SUDO systemctl disable --now unbound.service unbound-resolvconf.service >/dev/null 2>&1 || true
fi
$SUDO service unbound stop >/dev/null 2>&1 || true
