#!/usr/bin/env bash
# Builds Dovecot's imaptest (MIT licensed; the IMAP load generator that also
# checks every answer against the state it has seen) from the tarball here:
# commit 924f619, the newest that compiles against Debian 12's Dovecot 2.3.19
# headers, with the three small upstream fixes in patches/ (count skipped
# groups, count tests cancelled by a disconnect, fail a command left without
# a tagged reply for 30 s instead of hanging). Needs dovecot-dev and the
# autotools (scripts/install-deps.sh installs them).
#
#   tests/tools/imaptest/build.sh OUT_DIR     -> OUT_DIR/imaptest
# Does nothing when OUT_DIR/imaptest exists and is newer than this script.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: build.sh OUT_DIR}
commit=924f619
libdir=/usr/lib/dovecot
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [[ -x $out/imaptest && $out/imaptest -nt ${BASH_SOURCE[0]} ]]; then
  echo "$out/imaptest"
  exit 0
fi
[[ -f $libdir/dovecot-config ]] || { echo "build.sh: $libdir/dovecot-config missing: install dovecot-dev" >&2; exit 1; }

src=$out/imaptest-$commit
rm -rf "$src"
tar -xzf "$here/imaptest-$commit.tar.gz" -C "$out"
cd "$src"
echo "0.0.0-$commit" >version  # what git-version-gen reads without a .git

# Debian's security update of Dovecot 2.3.19 gave imap_parser_create() a
# fourth argument (parser limits; NULL keeps the old unlimited behaviour).
incdir=$(sed -n 's/^dovecot_pkgincludedir=//p' "$libdir/dovecot-config")
if grep -q 'struct imap_parser_params \*params' "$incdir/imap-parser.h" 2>/dev/null; then
  sed -i 's/imap_parser_create(\(.*\), (size_t)-1);/imap_parser_create(\1, (size_t)-1, NULL);/' \
    src/commands.c src/imap-client.c src/test-parser.c
  n=$(cat src/commands.c src/imap-client.c src/test-parser.c | grep -c 'imap_parser_create(.*, NULL);' || true)
  [[ $n == 3 ]] || { echo "build.sh: the imap_parser_create edit reached $n of 3 calls" >&2; exit 1; }
fi
for p in "$here"/patches/*.patch; do patch -p1 -s <"$p"; done

log=$out/build.log
{ ./autogen.sh && ./configure --with-dovecot="$libdir" LDFLAGS="-Wl,-rpath,$libdir" && make -j"$(nproc)"; } \
  >"$log" 2>&1 || { tail -30 "$log" >&2; exit 1; }
cp src/imaptest "$out/imaptest.new"
mv "$out/imaptest.new" "$out/imaptest"
echo "$out/imaptest"
