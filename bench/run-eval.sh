#!/usr/bin/env bash
# Runs the evaluation benchmark end to end. It builds crm_gen and
# crm_eval_bench and writes the evaluation data set for CUSTOMERS customers,
# as CSV files, unless it exists. Then it copies realistic.crm and
# reference.crm beside the data set's load_csv.crm and runs crm_eval_bench.
# The benchmark times the reference query on both engines, by hand and in
# SQLite, the realistic program as a whole and per segment, and the JIT's
# compile. The script ends by printing the benchmark's Markdown tables.
#
#   bench/run-eval.sh [CUSTOMERS]        (default 1000000)
#
# Environment:
#   BUILD             build folder (default: build)
#   DATA              where data sets are written (default: /tmp/crm-eval-data)
#   RESULTS           where summary.md and the log go
#                     (default: /tmp/crm-eval-results/CUSTOMERS)
#   REPETITIONS       runs per case (default: 5)
#   RULE_REPETITIONS  runs per single segment (default: 3)
#   AS_OF             the instant of the evaluation (default: 2025-07-01T00:00:00Z,
#                     the end of the generated data)
#   SKIP_BUILD        set to 1 to use the binaries already in BUILD
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
customers="${1:-1000000}"
build="${BUILD:-$repo/build}"
data_root="${DATA:-/tmp/crm-eval-data}"
results="${RESULTS:-/tmp/crm-eval-results/$customers}"
repetitions="${REPETITIONS:-5}"
rule_repetitions="${RULE_REPETITIONS:-3}"
as_of="${AS_OF:-2025-07-01T00:00:00Z}"

if [[ ! "$customers" =~ ^[1-9][0-9]*$ ]]; then
  echo "run-eval.sh: CUSTOMERS must be a positive whole number, not '$customers'" >&2
  exit 2
fi

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  cmake --build "$build" --target crm_gen crm_eval_bench --parallel 2
fi

# The evaluation shape: 10 orders per customer, 1 to 5 lines per order,
# 30 events per customer on average, 50,000 products in three levels, seed 1.
data="$data_root/$customers"
if [[ ! -f "$data/manifest.txt" ]]; then
  echo "Writing the data set for $customers customers to $data" >&2
  "$build/bench/crm_gen" --out "$data" --customers "$customers" --shape eval --formats csv
fi
cp "$repo/bench/realistic.crm" "$repo/bench/reference.crm" "$data/"

mkdir -p "$results"
# The benchmark loads the CSV files once. Reading them into the page cache
# first keeps the disk out of the reported load time.
cat "$data"/csv/*.csv > /dev/null
"$build/bench/crm_eval_bench" --data "$data" --as-of "$as_of" --repetitions "$repetitions" \
  --rule-repetitions "$rule_repetitions" 2> "$results/eval.log" \
  | tee "$results/summary.md"
