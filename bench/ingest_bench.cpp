// crm_ingest_bench: times `crm::load::loadProgram` on one thread on the
// data set that crm_gen wrote, per format, and the sqlite3 shell's `.import`
// of the same CSV files as a baseline. Each case reports input bytes and
// rows per second of wall-clock time and the peak resident set size during
// the load. Google Benchmark repeats each case and adds the mean, median,
// standard deviation, minimum and maximum.
//
//   crm_ingest_bench --data DIR [--cases csv,jsonl,jsonl_nested,sqlite] [--repetitions 5]
//                    [--benchmark_out=FILE --benchmark_out_format=json]
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <malloc.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "compiler/diag/render.h"
#include "compiler/driver/driver.h"
#include "loader/loader.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The CSV files of the data set and the tables the baseline imports them into.
struct CsvTable {
  const char* file;
  const char* createTable;
};

constexpr CsvTable kCsvTables[] = {
    {"products.csv",
     "CREATE TABLE products(product_id TEXT, name TEXT, department TEXT, category TEXT, "
     "brand TEXT, price NUMERIC)"},
    {"customers.csv",
     "CREATE TABLE customers(customer_id TEXT, email TEXT, first_name TEXT, last_name TEXT, "
     "gender TEXT, birth_date TEXT, city TEXT, postal_code TEXT, signup_at TEXT, tier TEXT, "
     "marketing_opt_in TEXT)"},
    {"orders.csv",
     "CREATE TABLE orders(order_id TEXT, customer_id TEXT, ordered_at TEXT, channel TEXT, "
     "status TEXT, total NUMERIC, coupon_code TEXT)"},
    {"order_lines.csv",
     "CREATE TABLE order_lines(order_id TEXT, line_no INTEGER, product_id TEXT, "
     "quantity INTEGER, unit_price NUMERIC, discount NUMERIC)"},
    {"events.csv",
     "CREATE TABLE events(event_id TEXT, customer_id TEXT, kind TEXT, at TEXT, "
     "product_id TEXT, device TEXT)"},
};

// Resets the peak resident set size (VmHWM) of this process to its current
// size. Returns false when the kernel rejects the request, because
// clear_refs accepts "5" only since Linux 4.0 (proc(5)).
bool resetPeakRss() {
  std::ofstream clearRefs("/proc/self/clear_refs");
  clearRefs << "5";
  clearRefs.flush();
  return static_cast<bool>(clearRefs);
}

// A size from /proc/self/status in bytes: `VmHWM:` is the peak resident set
// size and `VmRSS:` the current one.
size_t statusBytes(const std::string& key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(key, 0) == 0) {
      return std::stoull(line.substr(key.size())) * 1024;  // the kernel writes kB
    }
  }
  return 0;
}

void setCommonCounters(benchmark::State& state, size_t bytes, size_t rows, size_t peakRss) {
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(rows));
  state.counters["input_MB"] = static_cast<double>(bytes) / 1e6;
  state.counters["rows"] = static_cast<double>(rows);
  state.counters["peak_rss_MB"] = static_cast<double>(peakRss) / 1e6;
  state.counters["rss_per_input_byte"] =
      bytes == 0 ? 0.0 : static_cast<double>(peakRss) / static_cast<double>(bytes);
}

// One load of a checked script per iteration; run with Iterations(1), so
// that each repetition is one load.
void benchmarkLoad(benchmark::State& state, const crm::driver::Compilation* compilation) {
  std::vector<const crm::ast::Script*> scripts;
  for (const auto& script : compilation->scripts)
    scripts.push_back(script.get());
  bool peakResets = resetPeakRss();
  for (auto _ : state) {
    size_t rssBefore = statusBytes("VmRSS:");
    auto started = Clock::now();
    crm::load::LoadResult result =
        crm::load::loadProgram(scripts, compilation->sources, crm::load::LoadOptions{});
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - started).count());
    size_t peakRss = statusBytes("VmHWM:");
    if (!result.report.ok()) {
      std::ostringstream text;
      crm::load::printReport(text, result.report);
      std::cerr << text.str();
      std::string first =
          !result.report.errors.empty() ? result.report.errors.front() : "rejected records";
      state.SkipWithError(first.c_str());
      break;
    }
    // Rows are counted in the tables, because one record of a nested
    // source fills several rows.
    size_t bytes = 0;
    size_t rows = 0;
    for (const auto& source : result.report.sources) bytes += source.bytes;
    for (const auto& table : result.report.tables) rows += table.rows;
    setCommonCounters(state, bytes, rows, peakRss);
    // The part of the peak that the process held before the load: the
    // program, its libraries and the checked script.
    state.counters["rss_before_MB"] = static_cast<double>(rssBefore) / 1e6;
    if (!peakResets) state.counters["peak_rss_is_process_max"] = 1;

    // Free the store outside the timed region and give the memory back to
    // the system, so that the next repetition starts from the same RSS.
    result = {};
    malloc_trim(0);
    peakResets = resetPeakRss();
  }
}

// Data records in a CSV file with a header and no line breaks inside
// fields, which crm_gen never writes.
size_t countCsvRows(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::vector<char> buffer(1 << 20);
  size_t lines = 0;
  while (file) {
    file.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    lines += static_cast<size_t>(std::count(buffer.begin(), buffer.begin() + file.gcount(), '\n'));
  }
  return lines == 0 ? 0 : lines - 1;
}

struct SqliteBaseline {
  fs::path commands;  // the .read file
  size_t bytes = 0;
  size_t rows = 0;
};

// Writes the sqlite3 commands that create typed tables without indexes in
// an in-memory database and `.import` each CSV file into its table.
SqliteBaseline prepareSqlite(const fs::path& data) {
  SqliteBaseline baseline;
  baseline.commands =
      fs::temp_directory_path() / ("crm_ingest_bench_" + std::to_string(getpid()) + ".sql");
  std::ofstream commands(baseline.commands);
  for (const CsvTable& table : kCsvTables) {
    fs::path file = data / "csv" / table.file;
    baseline.bytes += fs::file_size(file);
    baseline.rows += countCsvRows(file);
    std::string name = fs::path(table.file).stem().string();
    commands << table.createTable << ";\n"
             << ".import --csv --skip 1 \"" << file.string() << "\" " << name << "\n";
  }
  if (!commands.flush()) {
    throw std::runtime_error("cannot write '" + baseline.commands.string() + "'");
  }
  return baseline;
}

// Runs `sqlite3` on the prepared commands; returns false with `error` set
// when it cannot start or exits with a failure.
bool runSqlite(const SqliteBaseline& baseline, size_t& peakRss, std::string& error) {
  std::string read = ".read " + baseline.commands.string();
  std::vector<std::string> arguments = {"sqlite3", "-batch", "-bail", ":memory:", read};
  std::vector<char*> argv;
  for (auto& argument : arguments)
    argv.push_back(argument.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t child = 0;
  int spawned = posix_spawnp(&child, "sqlite3", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    error = std::string("cannot run sqlite3: ") + std::strerror(spawned) +
            "; install it (Debian package sqlite3)";
    return false;
  }
  int status = 0;
  rusage usage{};
  if (wait4(child, &status, 0, &usage) != child) {
    error = std::string("waiting for sqlite3 failed: ") + std::strerror(errno);
    return false;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    error = "sqlite3 failed with status " + std::to_string(status) + "; see its output above";
    return false;
  }
  peakRss = static_cast<size_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
  return true;
}

void benchmarkSqlite(benchmark::State& state, const SqliteBaseline* baseline) {
  for (auto _ : state) {
    size_t peakRss = 0;
    std::string error;
    auto started = Clock::now();
    bool ok = runSqlite(*baseline, peakRss, error);
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - started).count());
    if (!ok) {
      state.SkipWithError(error.c_str());
      break;
    }
    setCommonCounters(state, baseline->bytes, baseline->rows, peakRss);
  }
}

std::unique_ptr<crm::driver::Compilation> checkScript(const fs::path& path) {
  auto compilation = crm::driver::checkScripts({{path.string(), std::nullopt}});
  auto diagnostics = compilation->diagnostics->sorted();
  crm::diag::renderHuman(std::cerr, compilation->sources, diagnostics, {false});
  if (compilation->hasErrors()) {
    throw std::runtime_error("'" + path.string() +
                             "' has errors, listed above; regenerate it with crm_gen");
  }
  return compilation;
}

void addStatistics(benchmark::internal::Benchmark* bench, int repetitions) {
  bench->Iterations(1)
      ->Repetitions(repetitions)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond)
      ->ComputeStatistics(
          "min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); })
      ->ComputeStatistics("max", [](const std::vector<double>& v) {
        return *std::max_element(v.begin(), v.end());
      });
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);

  CLI::App app{"Times crm's loader on a data set written by crm_gen, with sqlite3 as a baseline.",
               "crm_ingest_bench"};
  std::string data;
  std::vector<std::string> cases = {"csv", "jsonl", "jsonl_nested", "sqlite"};
  int repetitions = 5;
  app.add_option("--data", data, "Folder that crm_gen wrote")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--cases", cases,
                 "Cases to run: csv, jsonl (one file per entity) and jsonl_nested (orders "
                 "nested in customers) load the data set through crm; sqlite imports the CSV "
                 "files with the sqlite3 shell")
      ->delimiter(',')
      ->check(CLI::IsMember({"csv", "jsonl", "jsonl_nested", "sqlite"}))
      ->capture_default_str();
  app.add_option("--repetitions", repetitions, "Runs of each case")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.footer("Google Benchmark's own flags, such as --benchmark_out=FILE, are accepted too.");
  CLI11_PARSE(app, argc, argv);

  std::vector<std::unique_ptr<crm::driver::Compilation>> compilations;
  SqliteBaseline baseline;
  try {
    for (const auto& format : {"csv", "jsonl", "jsonl_nested"}) {
      if (std::find(cases.begin(), cases.end(), format) == cases.end()) continue;
      compilations.push_back(
          checkScript(fs::path(data) / ("load_" + std::string(format) + ".crm")));
      addStatistics(benchmark::RegisterBenchmark((std::string("crm_load/") + format).c_str(),
                                                 benchmarkLoad, compilations.back().get()),
                    repetitions);
    }
    if (std::find(cases.begin(), cases.end(), "sqlite") != cases.end()) {
      baseline = prepareSqlite(data);
      addStatistics(benchmark::RegisterBenchmark("sqlite3_import/csv", benchmarkSqlite, &baseline),
                    repetitions);
    }
  } catch (const std::exception& error) {
    std::cerr << "crm_ingest_bench: " << error.what() << "\n";
    return 1;
  }

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (!baseline.commands.empty()) fs::remove(baseline.commands);
  return 0;
}
