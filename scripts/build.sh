#!/usr/bin/env bash
# Configures and builds tern into build/ (Ninja, ccache). Extra arguments go to cmake.
# A tree configured for the first time is a unity build (TERN_UNITY,
# CMakeLists.txt: about half the time from nothing); a tree that exists
# keeps its setting, so that `cmake -B build -DTERN_UNITY=OFF` once makes
# incremental rebuilds recompile only the files touched.
set -euo pipefail
cd "$(dirname "$0")/.."
first=()
[ -f build/CMakeCache.txt ] || first=(-DTERN_UNITY=ON)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${first[@]}" "$@" >/dev/null
ninja -C build
