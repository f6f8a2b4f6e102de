#!/usr/bin/env bash
# The README's second command (and what .ci/run calls): install what is
# needed, build, and run every test: unit tests (GoogleTest via ctest), the
# end-to-end suite (pytest against the real build/tern), the same suites
# under ASan/UBSan, and each libFuzzer target for a short while.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
export CCACHE_DIR="${CCACHE_DIR:-$PWD/.ccache}"
PY=/usr/bin/python3
# Each stage's heading carries the seconds since the start, so that a slow
# stage shows in CI's log (the whole run should stay under 30 minutes).
started=$(date +%s)
stage() { echo "== $* [$(( $(date +%s) - started ))s]"; }
FUZZ_SECONDS="${FUZZ_SECONDS:-10}"
FUZZ_SEED="${FUZZ_SEED:-1}"

stage "dependency rule (modules include only what they link)"
$PY scripts/check-layers.py

stage "parameters (every one in the table is read by code and documented)"
$PY scripts/check-params.py

stage "build (release, -Werror)"
./scripts/build.sh -DTERN_WERROR=ON

stage "unit tests"
ctest --test-dir build --output-on-failure -j2

stage "end-to-end tests"
$PY -m pytest -n 2 -q -p no:cacheprovider tests/e2e

# One clang tree, Debug at -O1 with ASan/UBSan and libFuzzer's coverage
# instrumentation, serves the sanitized tests and the fuzz targets. It is
# always a unity build (build/ is one when made from nothing, scripts/build.sh),
# so that a name two files of one target both define fails here too, not
# only in CI.
if [ "${TERN_SKIP_SANITIZERS:-0}" != 1 ] || [ "${TERN_SKIP_FUZZ:-0}" != 1 ]; then
  stage "sanitizer and fuzz build (clang, ASan/UBSan, libFuzzer)"
  cmake -S . -B build-san -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
    -DTERN_SANITIZE=ON -DTERN_FUZZ=ON -DTERN_WERROR=ON -DTERN_UNITY=ON >/dev/null
  ninja -C build-san
fi

if [ "${TERN_SKIP_SANITIZERS:-0}" != 1 ]; then
  stage "unit tests against the sanitizer build"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  ./build-san/unit_tests --gtest_brief=1
  stage "end-to-end tests against the sanitizer build (every file, both cores)"
  # The daemons' sanitizer reports go to files, so that one in a daemon or a
  # child whose output no test read still fails the run. TERN_SANITIZED
  # tells conftest.py to allow for the slower build; -rs prints the reason
  # of every skipped test.
  san_logs=$(mktemp -d /tmp/tern-sanitizer.XXXXXX)
  san_start=$(date +%s)
  rc=0
  TERN_BINARY="$PWD/build-san/tern" TERN_SANITIZED=1 ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$san_logs/asan" \
    UBSAN_OPTIONS="$UBSAN_OPTIONS:log_path=$san_logs/ubsan" \
    $PY -m pytest -n 2 -q -rs -p no:cacheprovider tests/e2e || rc=$?
  echo "sanitizer end-to-end run: $(( $(date +%s) - san_start ))s"
  if [ -n "$(ls -A "$san_logs")" ]; then
    echo "FAIL: sanitizer reports:"
    head -n 60 "$san_logs"/*
    rc=1
  fi
  rm -rf "$san_logs"
  [ "$rc" -eq 0 ] || exit "$rc"
fi

if [ "${TERN_SKIP_FUZZ:-0}" != 1 ]; then
  stage "fuzz targets (${FUZZ_SECONDS}s each)"
  fuzzers=$(ls src/*/*_fuzz.cpp src/*/*/*_fuzz.cpp 2>/dev/null)
  scratch=$(mktemp -d /tmp/tern-fuzz.XXXXXX)
  # One target: its report goes to $scratch/<target>/report, printed when
  # it ends, so that two running side by side do not mix their lines.
  fuzz_one() {
    local src=$1 f seeds
    f=$(basename "$src" .cpp)
    seeds="$(dirname "$src")/corpus/$f"
    mkdir -p "$scratch/$f/corpus"
    if [ -d "$seeds" ]; then cp -r "$seeds/." "$scratch/$f/corpus/"; else echo "warning: no seed corpus at $seeds" >"$scratch/$f/report"; fi
    # A fixed seed (FUZZ_SEED, default 1) makes the run repeatable: a
    # finding reproduces, and a known one (tests/fuzz-findings/) cannot make
    # an unrelated change fail at random; FUZZ_SEED=0 lets libFuzzer pick.
    if ! ./build-san/"$f" -seed="$FUZZ_SEED" -max_total_time="$FUZZ_SECONDS" -print_final_stats=0 \
        -artifact_prefix="$scratch/$f/" "$scratch/$f/corpus" >"$scratch/$f/log" 2>&1; then
      { echo "FAIL: fuzz target $f crashed (reproducer and log in $scratch/$f/):"; tail -40 "$scratch/$f/log"; } >>"$scratch/$f/report"
      cat "$scratch/$f/report"
      return 1
    fi
    echo "$f: $(grep -E '^Done [0-9]+ runs' "$scratch/$f/log" || tail -1 "$scratch/$f/log")" >>"$scratch/$f/report"
    cat "$scratch/$f/report"
  }
  # Each target starts from its seed corpus in the repo
  # (src/<module>/corpus/<target>/), copied to a scratch directory so that
  # neither the corpus it grows nor a crash file is written into the repo.
  # Two run at a time, one per core; a crash fails the stage after the
  # running ones end, and its files stay in the scratch directory.
  failed=0 running=0
  for src in $fuzzers; do
    if [ "$running" -ge 2 ]; then
      wait -n || failed=1
      running=$((running - 1))
    fi
    fuzz_one "$src" &
    running=$((running + 1))
  done
  while [ "$running" -gt 0 ]; do
    wait -n || failed=1
    running=$((running - 1))
  done
  [ "$failed" -eq 0 ] || exit 1
  rm -rf "$scratch"
fi
stage "all tests passed"
