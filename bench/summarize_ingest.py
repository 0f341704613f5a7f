#!/usr/bin/env python3
"""Summarize the runs of crm_ingest_bench as a Markdown table.

Reads every *.json file (Google Benchmark's JSON output) and *.failed file
that bench/run-ingest.sh left in a results folder. For each case it prints
the median of the runs and their spread (minimum to maximum), the peak
resident set size, and the speed relative to the sqlite3 baseline: the
baseline's median time divided by the case's. MB means 10^6 bytes.
"""

import argparse
import json
import pathlib
import statistics
import sys

BASELINE = "sqlite3_import/csv"
CASE_LABELS = {
    "crm_load/csv": "crm load, CSV",
    "crm_load/jsonl": "crm load, JSON Lines, one file per entity",
    "crm_load/jsonl_nested": "crm load, JSON Lines, orders nested in customers",
    BASELINE: "sqlite3 .import, CSV (in-memory database)",
}
# The --cases names of crm_ingest_bench, which name the *.failed files.
CASE_OPTIONS = {"csv": "crm_load/csv", "jsonl": "crm_load/jsonl",
                "jsonl_nested": "crm_load/jsonl_nested", "sqlite": BASELINE}


def case_of(run_name):
    """Return the case of a benchmark name such as 'crm_load/csv/iterations:1/...'."""
    return "/".join(run_name.split("/")[:2])


def seconds_of(entry, kind="real_time"):
    """Return the wall-clock (real_time) or CPU (cpu_time) seconds of a run."""
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[entry["time_unit"]]
    return entry[kind] * scale


def read_runs(folder):
    """Return the successful runs and the error messages, by case."""
    runs, errors = {}, {}
    for path in sorted(folder.glob("*.json")):
        try:
            results = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            # A run still in progress, or one killed, leaves partial JSON.
            print(f"summarize_ingest.py: skipping {path}: invalid JSON ({error})",
                  file=sys.stderr)
            continue
        for entry in results["benchmarks"]:
            if entry.get("run_type") != "iteration":
                continue
            case = case_of(entry["run_name"])
            if entry.get("error_occurred"):
                errors.setdefault(case, []).append(entry.get("error_message", "unknown error"))
                continue
            runs.setdefault(case, []).append(entry)
    for path in sorted(folder.glob("*.failed")):
        option = path.stem.rsplit("-", 1)[0]
        case = CASE_OPTIONS.get(option, option)
        lines = path.read_text().strip().splitlines()
        errors.setdefault(case, []).append(
            "the process failed: " + (lines[-1] if lines else "no output"))
    return runs, errors


def read_csv_bytes(manifest):
    """Return the total size of the CSV files listed in crm_gen's manifest."""
    total = 0
    for line in manifest.read_text().splitlines():
        parts = line.split()
        if parts[0] == "file" and parts[1].startswith("csv/"):
            total += int(parts[2])
    return total


def spread(values, fmt):
    """Return 'median (min-max)' of values with the format fmt."""
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def summarize(runs, errors, csv_bytes):
    lines = [
        "| case | runs | input MB | rows | time s | CPU s | MB/s | rows/s (M) | peak RSS MB "
        "| RSS / input | RSS / CSV size | speed vs sqlite3 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    # Speed relative to the baseline is its median time over the case's, so
    # that cases of different input sizes compare by the same rows.
    baseline = None
    if BASELINE in runs:
        baseline = statistics.median(seconds_of(r) for r in runs[BASELINE])
    for case in sorted(set(runs) | set(errors), key=lambda c: list(CASE_LABELS).index(c)
                       if c in CASE_LABELS else len(CASE_LABELS)):
        label = CASE_LABELS.get(case, case)
        if case not in runs:
            message = errors[case][0]
            lines.append(f"| {label} | 0 | not run: {message} ||||||||||")
            continue
        entries = runs[case]
        seconds = [seconds_of(r) for r in entries]
        throughput = [r["input_MB"] / seconds_of(r) for r in entries]
        rows_per_second = [r["rows"] / seconds_of(r) / 1e6 for r in entries]
        rss = [r["peak_rss_MB"] for r in entries]
        input_mb = entries[0]["input_MB"]
        ratio = "–" if baseline is None else f"{baseline / statistics.median(seconds):.2f}×"
        # The CPU time of the sqlite3 case is that of the waiting parent only.
        cpu = "–"
        if case != BASELINE:
            cpu = f"{statistics.median(seconds_of(r, 'cpu_time') for r in entries):.2f}"
        lines.append(
            f"| {label} | {len(entries)} | {input_mb:,.0f} | {entries[0]['rows']:,.0f} "
            f"| {spread(seconds, '{:.2f}')} | {cpu} | {spread(throughput, '{:.1f}')} "
            f"| {spread(rows_per_second, '{:.2f}')} | {spread(rss, '{:,.0f}')} "
            f"| {statistics.median(rss) / input_mb:.2f} "
            f"| {statistics.median(rss) / (csv_bytes / 1e6):.2f} | {ratio} |")
    for case, messages in sorted(errors.items()):
        if case in runs:
            lines.append(f"\n{CASE_LABELS.get(case, case)}: {len(messages)} run(s) failed: "
                         f"{messages[0]}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=pathlib.Path, help="folder of run-ingest.sh results")
    parser.add_argument("--manifest", type=pathlib.Path, required=True,
                        help="manifest.txt of the data set, for the size of the CSV files")
    arguments = parser.parse_args()
    runs, errors = read_runs(arguments.results)
    if not runs and not errors:
        sys.exit(f"summarize_ingest.py: no results in {arguments.results}")
    print(summarize(runs, errors, read_csv_bytes(arguments.manifest)))


if __name__ == "__main__":
    main()
