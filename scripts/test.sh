#!/usr/bin/env bash
# Builds what changed and runs the whole test suite. Run ./scripts/setup.sh
# once first on a new machine.
set -euo pipefail

cd "$(dirname "$0")/.."

export CCACHE_BASEDIR="$PWD"
export CCACHE_NOHASHDIR=1

if [[ ! -f build/build.ninja ]]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build build -j "${CRM_BUILD_JOBS:-2}"
ctest --test-dir build --output-on-failure -j "${CRM_TEST_JOBS:-2}"
