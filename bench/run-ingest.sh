#!/usr/bin/env bash
# Runs the ingest benchmark end to end. It builds crm_gen and
# crm_ingest_bench, writes the synthetic data set for CUSTOMERS customers
# (once per shape) and loads it REPETITIONS times per case. Each load runs
# in a fresh process with its input files in the page cache, and the cases
# take turns so that background load hits them alike. The script ends by
# printing a Markdown table of medians and spreads.
#
#   bench/run-ingest.sh [CUSTOMERS]        (default 1000000)
#
# Environment:
#   BUILD        build folder (default: build)
#   DATA         where data sets are written (default: /tmp/crm-ingest-data)
#   RESULTS      where the JSON results and summary.md go
#                (default: /tmp/crm-ingest-results/CUSTOMERS)
#   REPETITIONS  runs per case (default: 5)
#   CASES        comma-separated cases (default: csv,jsonl,jsonl_nested,sqlite)
#   SKIP_BUILD   set to 1 to use the binaries already in BUILD
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
customers="${1:-1000000}"
build="${BUILD:-$repo/build}"
data_root="${DATA:-/tmp/crm-ingest-data}"
results="${RESULTS:-/tmp/crm-ingest-results/$customers}"
repetitions="${REPETITIONS:-5}"
cases="${CASES:-csv,jsonl,jsonl_nested,sqlite}"

if [[ ! "$customers" =~ ^[1-9][0-9]*$ ]]; then
  echo "run-ingest.sh: CUSTOMERS must be a positive whole number, not '$customers'" >&2
  exit 2
fi

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  cmake --build "$build" --target crm_gen crm_ingest_bench --parallel 2
fi

# The generator's defaults: 10 orders per customer, 1 to 5 lines per order,
# 10 events per customer on average, 10,000 products, seed 1.
data="$data_root/$customers"
if [[ ! -f "$data/manifest.txt" ]]; then
  echo "Writing the data set for $customers customers to $data" >&2
  "$build/bench/crm_gen" --out "$data" --customers "$customers"
fi

# Reads the files of a case once, untimed, so that every case is timed with
# its input in the page cache, whatever ran before it.
warm_inputs() {
  case "$1" in
    csv | sqlite) cat "$data"/csv/*.csv ;;
    jsonl) cat "$data"/jsonl/{products,customers,orders,order_lines,events}.jsonl ;;
    jsonl_nested) cat "$data"/jsonl/{products,customers_nested,events}.jsonl ;;
  esac > /dev/null
}

mkdir -p "$results"
rm -f "$results"/*.json "$results"/*.failed
for ((run = 1; run <= repetitions; run++)); do
  for case_name in ${cases//,/ }; do
    echo "Run $run of $repetitions: $case_name" >&2
    warm_inputs "$case_name"
    status=0
    "$build/bench/crm_ingest_bench" --data "$data" --cases "$case_name" --repetitions 1 \
      --benchmark_out="$results/$case_name-$run.json" --benchmark_out_format=json \
      > "$results/$case_name-$run.log" 2>&1 || status=$?
    if [[ $status -ne 0 ]]; then
      # A crash leaves partial JSON; the summary lists the case as failed.
      rm -f "$results/$case_name-$run.json"
      tail -n 5 "$results/$case_name-$run.log" > "$results/$case_name-$run.failed"
      echo "  failed with status $status; see $results/$case_name-$run.log" >&2
    fi
  done
done

python3 "$repo/bench/summarize_ingest.py" --manifest "$data/manifest.txt" "$results" \
  | tee "$results/summary.md"
