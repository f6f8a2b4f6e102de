#!/usr/bin/env bash
# The README's first command: install what is needed, build, and start tern
# in the foreground on the embedded demo configuration (SMTP on
# 127.0.0.1:2525, submission on 127.0.0.1:2587, both with STARTTLS, and
# submission over TLS on 127.0.0.1:2465 with a self-signed certificate made
# on the first start, domain demo.test with the
# account demo@demo.test / password demo, all state under ./var).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
exec ./build/tern serve --demo
