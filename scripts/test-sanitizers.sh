#!/usr/bin/env bash
# Builds everything with AddressSanitizer and UndefinedBehaviorSanitizer
# (GCC, into build-asan/) and runs the whole test suite on that build. Any
# report (a leak, an out-of-bounds access, undefined behaviour) fails the
# test that caused it. CI runs this after ./scripts/test.sh.
set -euo pipefail

cd "$(dirname "$0")/.."

export CCACHE_BASEDIR="$PWD"
export CCACHE_NOHASHDIR=1
# Stop at the first report, with a stack, so that no report goes unseen in
# a test that otherwise passes.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

if [[ ! -f build-asan/build.ninja ]]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCRM_SANITIZE=ON
fi
cmake --build build-asan -j "${CRM_BUILD_JOBS:-2}"
ctest --test-dir build-asan --output-on-failure -j "${CRM_TEST_JOBS:-2}" "$@"
