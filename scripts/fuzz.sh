#!/usr/bin/env bash
# Builds the fuzz targets with clang 19 and libFuzzer (with AddressSanitizer
# and UndefinedBehaviorSanitizer) into build-fuzz/, and runs each target for
# a bounded time on a corpus made of fuzz/seeds, fuzz/regressions, the
# example and test scripts and the CEL conformance expressions.
#
#   ./scripts/fuzz.sh                  every target, 60 s each (what CI runs)
#   ./scripts/fuzz.sh 3600 csv jsonl   two targets, an hour each
#
# Targets: script csv jsonl eval differential. Findings (crash-*, timeout-*,
# leak-*, oom-*) land in build-fuzz/findings/TARGET/ and make the script
# fail.
# docs/reliability.md explains how to turn one into a regression test.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD

seconds=${1:-60}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(script csv jsonl eval differential)
fi

export CCACHE_BASEDIR="$root"
export CCACHE_NOHASHDIR=1

if [[ ! -f build-fuzz/build.ninja ]]; then
  CC=clang-19 CXX=clang++-19 cmake -S . -B build-fuzz -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCRM_FUZZ=ON
fi
cmake --build build-fuzz -j "${CRM_BUILD_JOBS:-2}" --target crm_fuzz_targets

conformance=${CRM_CONFORMANCE_DIR:-$root/../shared/conformance/cel}

# Copies the regular files of the given folders (or matching a pattern) into
# the corpus folder $1, skipping hidden files.
add_seeds() {
  local corpus=$1
  shift
  local path
  for path in "$@"; do
    if [[ -d "$path" ]]; then
      find "$path" -maxdepth 1 -type f ! -name '.*' -exec cp -t "$corpus" {} +
    elif [[ -f "$path" ]]; then
      cp -t "$corpus" "$path"
    fi
  done
}

# Writes each conformance expression to the corpus $1, after the prefix $2.
add_conformance() {
  local corpus=$1 prefix=$2
  [[ -d "$conformance/handed" ]] || return 0
  python3 - "$conformance/handed" "$corpus" "$prefix" <<'PYTHON'
import json, pathlib, sys
source, corpus, prefix = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]
for path in sorted(source.glob("*.jsonl")):
    for number, line in enumerate(path.read_text().splitlines()):
        case = json.loads(line)
        if case.get("bindings"):
            continue
        (corpus / f"cel-{path.stem}-{number}").write_text(prefix + case["expr"])
PYTHON
}

failed=()
for target in "${targets[@]}"; do
  binary=build-fuzz/fuzz/crm_fuzz_$target
  if [[ ! -x "$binary" ]]; then
    echo "fuzz: no target named \`$target\`; the targets are script csv jsonl eval differential" >&2
    exit 2
  fi
  corpus=build-fuzz/corpus/$target
  findings=build-fuzz/findings/$target
  mkdir -p "$corpus" "$findings"
  add_seeds "$corpus" "fuzz/seeds/$target" "fuzz/regressions/$target"
  options=()
  case $target in
    script)
      add_seeds "$corpus" examples/*/*.crm tests/golden/diagnostics/*.crm tests/testrun/*.crm \
        tests/data/*.crm
      # The grammar's keywords and punctuation, as a libFuzzer dictionary.
      grep -oE "'([A-Za-z_]+|[-+*/%<>=!&|?:.,;(){}@#]{1,3}|\[|\])'" grammar/Crm.g4 | sort -u |
        sed "s/^'\(.*\)'$/\"\1\"/" >build-fuzz/script.dict
      options+=(-dict=build-fuzz/script.dict)
      ;;
    eval) add_conformance "$corpus" "" ;;
    differential)
      add_conformance "$corpus" $'0\n'
      CRM_FUZZ_SEEDS="$corpus" "$binary" -runs=0 "$corpus" >/dev/null 2>&1
      ;;
  esac
  echo "fuzz: $target for ${seconds} s on $(find "$corpus" -type f | wc -l) inputs"
  if ! "$binary" "$corpus" "${options[@]}" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=4096 -max_len=65536 -artifact_prefix="$findings/" -print_final_stats=1 \
    >"build-fuzz/$target.log" 2>&1; then
    failed+=("$target")
    tail -n 40 "build-fuzz/$target.log" >&2
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "build-fuzz/$target.log" |
    sed "s/^/fuzz: $target /" || true
done

if ((${#failed[@]} > 0)); then
  echo "fuzz: findings in ${failed[*]}; the inputs are in build-fuzz/findings/" >&2
  echo "fuzz: minimise one with build-fuzz/fuzz/crm_fuzz_TARGET -minimize_crash=1 -runs=10000 FILE," >&2
  echo "fuzz: fix the defect, and add the minimal input to fuzz/regressions/TARGET/" >&2
  exit 1
fi
echo "fuzz: no findings"
