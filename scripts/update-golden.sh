#!/usr/bin/env bash
# Rewrites the expected outputs of the golden tests (tests/golden, and the
# example decisions in examples/*/expected.jsonl) from the current build.
# Review the diff before committing it.

cd "$(dirname "$0")/.."
cmake --build build -j "${CRM_BUILD_JOBS:-2}" --target crm_tests
CRM_UPDATE_GOLDEN=1 ./build/tests/crm_tests --gtest_filter='Diagnostics/Golden.*:Examples/ExampleRunTest.*'
git status --short tests/golden examples
