// crm_eval_bench: times rule evaluation on one thread on the data set that
// `crm_gen --shape eval` wrote, and prints the results as Markdown.
//
//   crm_eval_bench --data DIR [--as-of T] [--repetitions 5] [--rule-repetitions 3]
//                  [--no-sqlite] [--parts compile,query,program,rules]
//
// DIR contains the generated load_csv.crm and csv/ files, and realistic.crm
// and reference.crm beside them (run-eval.sh copies them there). The
// benchmark:
//
// - times the reference query: customers with at least 3 orders in the
//   last 90 days and more than 100 spent on them. It runs as a segment of
//   reference.crm on the JIT and on the interpreter, as a loop written by
//   hand over the store's columns, and as SQL on the orders in an in-memory
//   SQLite database, with and without an index. Every case must find the
//   same members;
// - runs realistic.crm as `crm run` does (run::runProgram) on both engines;
// - times each segment of realistic.crm alone on both engines;
// - times the JIT compile of realistic.crm at each optimisation level.
//
// Each case runs --repetitions times (segments --rule-repetitions times),
// the cases taking turns, and reports the median with the fastest and
// slowest run. --parts runs some of the parts; `program-jit` and
// `program-interp` run the whole program on one engine, for profiling.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <functional>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "bench/eval_cases.h"
#include "bench/eval_sqlite.h"
#include "compiler/diag/render.h"
#include "jit/jit.h"
#include "run/prepare.h"
#include "run/run.h"
#include "runtime/time.h"

namespace crm::bench {
namespace {

namespace fs = std::filesystem;

// The reference query's segment in reference.crm and its parameters.
constexpr const char* kReferenceSegment = "frequent_buyer";
constexpr int64_t kReferenceWindow = 90 * runtime::kMicrosPerDay;
constexpr int64_t kReferenceMinOrders = 3;
constexpr int64_t kReferenceMinCents = 10000;

struct Options {
  fs::path data;
  std::string asOfText = "2025-07-01T00:00:00Z";
  int64_t asOf = 0;
  int repetitions = 5;
  int ruleRepetitions = 3;
  bool sqlite = true;
  std::vector<std::string> parts = {"compile", "query", "program", "rules"};

  bool runs(const std::string& part) const {
    return std::find(parts.begin(), parts.end(), part) != parts.end();
  }
};

// One implementation of the reference query.
struct QueryCase {
  std::string name;
  std::function<size_t()> run;  // returns the members
  Timings timings;
  size_t members = 0;
};

struct RuleResult {
  std::string name;
  size_t members = 0;
  Timings interp;
  Timings jit;
};

struct EngineRun {
  std::string engine;
  // Wall-clock time of the evaluation alone; CPU time including the JIT's
  // compile.
  Timings timings;
  size_t decisions = 0;
  std::vector<size_t> segmentMembers;
};

struct Report {
  size_t customers = 0;
  size_t orders = 0;
  double loadSeconds = 0;
  size_t rssAfterLoad = 0;   // the store and the checked program
  size_t peakAfterLoad = 0;  // including the load's transient memory
  double sqliteLoadSeconds = 0;
  double sqliteIndexSeconds = 0;
  size_t sqliteRows = 0;
  size_t sqliteBytes = 0;  // allocated by SQLite: the table and its index
  std::vector<QueryCase> query;
  std::vector<EngineRun> program;
  std::vector<RuleResult> rules;
  Timings compile[3];
  size_t roots = 0;
  size_t fallbacks = 0;
  size_t referenceFallbacks = 0;
  size_t peakRss = 0;
};

void progress(const std::string& text) { std::cerr << "crm_eval_bench: " << text << "\n"; }

run::Prepared checkOrFail(const fs::path& script) {
  run::Prepared prepared = run::checkScript(script.string());
  auto diagnostics = prepared.compilation->diagnostics->sorted();
  diag::renderHuman(std::cerr, prepared.compilation->sources, diagnostics, {false});
  if (prepared.program == nullptr) {
    throw std::runtime_error("'" + script.string() + "' has errors, listed above");
  }
  return prepared;
}

void loadOrFail(run::Prepared& prepared) {
  run::loadData(prepared, load::LoadOptions{});
  if (!prepared.ok()) {
    load::printReport(std::cerr, prepared.loadReport);
    throw std::runtime_error("the data set did not load; see the report above");
  }
}

std::unique_ptr<jit::CompiledProgram> compileOrFail(const ir::Program& program,
                                                    const runtime::Store& store, int level) {
  jit::Options jitOptions;
  jitOptions.optLevel = level;
  std::string error;
  auto compiled = jit::compile(program, &store, jitOptions, error);
  if (compiled == nullptr) throw std::runtime_error("the JIT failed: " + error);
  return compiled;
}

void timeCompiles(const Options& options, const ir::Program& program,
                  const runtime::Store& store, Report& report) {
  progress("compiling realistic.crm at --jit-opt 0, 1 and 2");
  for (int run = 0; run < options.repetitions; ++run) {
    for (int level = 0; level <= 2; ++level) {
      std::unique_ptr<jit::CompiledProgram> compiled;
      report.compile[level].add(
          measure([&] { compiled = compileOrFail(program, store, level); }));
      report.roots = compiled->rootCount();
      report.fallbacks = compiled->fallbackCount();
    }
  }
}

// Runs every case `repetitions` times, the cases taking turns, and checks
// that all find the same members.
void runQueryCases(int repetitions, std::vector<QueryCase>& cases) {
  for (int run = 0; run < repetitions; ++run) {
    for (QueryCase& c : cases) {
      progress("reference query, run " + std::to_string(run + 1) + ": " + c.name);
      size_t members = 0;
      c.timings.add(measure([&] { members = c.run(); }));
      if (run > 0 && members != c.members) {
        throw std::runtime_error(c.name + " found " + std::to_string(members) +
                                 " members, then " + std::to_string(c.members));
      }
      c.members = members;
    }
  }
  for (const QueryCase& c : cases) {
    if (c.members != cases.front().members) {
      throw std::runtime_error("the reference query's cases disagree: " + cases.front().name +
                               " finds " + std::to_string(cases.front().members) + ", " +
                               c.name + " " + std::to_string(c.members));
    }
  }
}

void timeReferenceQuery(const Options& options, const ir::Program& reference,
                        const runtime::Store& store, SqliteOrders* sqlite, Report& report) {
  uint32_t index = segmentIndex(reference, kReferenceSegment);
  auto compiled = compileOrFail(reference, store, 2);
  report.referenceFallbacks = compiled->fallbackCount();
  auto segment = [&, index](const interp::NativeCode* native) {
    SegmentCount count = evaluateSegment(reference, store, options.asOf, native, index);
    if (count.errors != 0) {
      throw std::runtime_error("the reference segment failed for " +
                               std::to_string(count.errors) + " customers");
    }
    return count.members;
  };
  std::vector<QueryCase> cases;
  auto add = [&](std::string name, std::function<size_t()> run) {
    QueryCase c;
    c.name = std::move(name);
    c.run = std::move(run);
    cases.push_back(std::move(c));
  };
  add("crm, JIT (`--jit-opt 2`)", [&] { return segment(compiled.get()); });
  add("crm, interpreter", [&] { return segment(nullptr); });
  add("C++ loop over the store's columns", [&] {
    return countFrequentBuyers(store, options.asOf, kReferenceWindow, kReferenceMinOrders,
                               runtime::Decimal{100, 0});
  });
  if (sqlite != nullptr) {
    // crm_gen writes whole seconds, so the window in seconds selects the
    // same orders.
    int64_t to = options.asOf / runtime::kMicrosPerSecond;
    int64_t from = (options.asOf - kReferenceWindow) / runtime::kMicrosPerSecond;
    for (bool indexed : {true, false}) {
      add(indexed ? "SQLite, index on (ordered_at, customer_id, total_cents)"
                  : "SQLite, no index (`NOT INDEXED`)",
          [=] {
            return sqlite->countFrequentBuyers(from, to, kReferenceMinOrders, kReferenceMinCents,
                                               indexed);
          });
    }
  }
  runQueryCases(options.repetitions, cases);
  report.query = std::move(cases);
}

void timeProgram(const Options& options, const ir::Program& program,
                 const runtime::Store& store, Report& report) {
  for (const char* engine : {"jit", "interp"}) {
    if (options.runs("program") || options.runs(std::string("program-") + engine)) {
      report.program.emplace_back();
      report.program.back().engine = engine;
    }
  }
  for (int run = 0; run < options.repetitions; ++run) {
    for (EngineRun& engine : report.program) {
      progress("realistic.crm, run " + std::to_string(run + 1) + ": " + engine.engine);
      run::RunOptions runOptions;
      runOptions.engine = engine.engine == "jit" ? run::Engine::Jit : run::Engine::Interpreter;
      runOptions.jitOptLevel = 2;
      runOptions.asOf = options.asOf;
      runOptions.threads = 1;
      run::RunResult result;
      Sample sample = measure([&] { result = run::runProgram(program, store, runOptions); });
      if (!result.engineError.empty()) throw std::runtime_error(result.engineError);
      if (result.errorCount != 0) {
        throw std::runtime_error("realistic.crm failed " + std::to_string(result.errorCount) +
                                 " times; run it with crm run to see the errors");
      }
      // runProgram reports the compile's wall-clock time alone, so the CPU
      // time includes the compile.
      engine.timings.add({result.seconds - result.compileSeconds, sample.cpu});
      engine.decisions = result.decisions.size();
      engine.segmentMembers = result.segmentMembers;
    }
  }
  if (report.program.size() < 2) return;
  const EngineRun& jit = report.program[0];
  const EngineRun& interp = report.program[1];
  if (jit.decisions != interp.decisions || jit.segmentMembers != interp.segmentMembers) {
    throw std::runtime_error("the engines disagree on realistic.crm");
  }
}

void timeRules(const Options& options, const ir::Program& program, const runtime::Store& store,
               Report& report) {
  auto compiled = compileOrFail(program, store, 2);
  for (uint32_t index : program.segments()) {
    RuleResult rule;
    rule.name = program.declarations[index].name;
    progress("segment " + rule.name);
    for (int run = 0; run < options.ruleRepetitions; ++run) {
      SegmentCount interp;
      SegmentCount jit;
      rule.interp.add(measure(
          [&] { interp = evaluateSegment(program, store, options.asOf, nullptr, index); }));
      rule.jit.add(measure(
          [&] { jit = evaluateSegment(program, store, options.asOf, compiled.get(), index); }));
      if (interp.members != jit.members || interp.errors != 0 || jit.errors != 0) {
        throw std::runtime_error("the engines disagree on segment " + rule.name);
      }
      rule.members = jit.members;
    }
    report.rules.push_back(std::move(rule));
  }
}

// Formatting.

std::string fixed(double value, int digits) {
  std::ostringstream text;
  text << std::fixed << std::setprecision(digits) << value;
  return text.str();
}

std::string grouped(size_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string megabytes(size_t bytes) { return grouped((bytes + 500000) / 1000000); }

// "1.234 (1.200–1.300)": the median with the fastest and slowest run.
std::string spread(const Timings& t, int digits, double scale = 1) {
  return fixed(t.median() * scale, digits) + " (" + fixed(t.min() * scale, digits) + "–" +
         fixed(t.max() * scale, digits) + ")";
}

std::string perSecond(size_t customers, double seconds) {
  return seconds > 0 ? fixed(static_cast<double>(customers) / seconds / 1e6, 3) : "–";
}

void printQuery(std::ostream& out, const Report& report) {
  out << "### Reference query: at least 3 orders in the last 90 days and more than 100 spent "
         "on them\n\n"
      << "| case | time s | CPU s | customers/s (M) | members | time / C++ loop | "
         "speed vs best SQLite |\n"
      << "|---|---|---|---|---|---|---|\n";
  double loop = 0;
  double sqlite = 0;
  for (const QueryCase& c : report.query) {
    if (c.name.rfind("C++", 0) == 0) loop = c.timings.median();
    if (c.name.rfind("SQLite", 0) == 0 && (sqlite == 0 || c.timings.median() < sqlite)) {
      sqlite = c.timings.median();
    }
  }
  for (const QueryCase& c : report.query) {
    double t = c.timings.median();
    out << "| " << c.name << " | " << spread(c.timings, 4) << " | "
        << fixed(c.timings.cpuMedian(), 4) << " | " << perSecond(report.customers, t) << " | "
        << grouped(c.members) << " | " << (loop > 0 ? fixed(t / loop, 2) + "×" : "–") << " | "
        << (sqlite > 0 ? fixed(sqlite / t, 2) + "×" : "–") << " |\n";
  }
  out << "\nThe JIT leaves " << report.referenceFallbacks
      << " nodes of reference.crm to the interpreter.\n\n";
}

void printProgram(std::ostream& out, const Report& report) {
  out << "### realistic.crm, whole program (`run::runProgram`, 1 thread)\n\n"
      << "| engine | evaluate s | CPU s, with compile | customers/s (M) | decisions |\n"
      << "|---|---|---|---|---|\n";
  for (const EngineRun& e : report.program) {
    out << "| " << e.engine << " | " << spread(e.timings, 3) << " | "
        << fixed(e.timings.cpuMedian(), 3) << " | "
        << perSecond(report.customers, e.timings.median()) << " | " << grouped(e.decisions)
        << " |\n";
  }
  if (report.program.size() == 2 && report.program[0].timings.median() > 0) {
    const Timings& jit = report.program[0].timings;
    const Timings& interp = report.program[1].timings;
    out << "\nJIT speed-up on the whole program: " << fixed(interp.median() / jit.median(), 2)
        << "×\n";
  }
  out << "\n";
}

void printRules(std::ostream& out, const Report& report) {
  out << "### realistic.crm, one segment at a time\n\n"
      << "| segment | members | interpreter s | JIT s | speed-up | speed-up in CPU time |\n"
      << "|---|---|---|---|---|---|\n";
  double logSum = 0;
  double cpuLogSum = 0;
  for (const RuleResult& r : report.rules) {
    double speedup = r.interp.median() / r.jit.median();
    double cpuSpeedup = r.interp.cpuMedian() / r.jit.cpuMedian();
    logSum += std::log(speedup);
    cpuLogSum += std::log(cpuSpeedup);
    out << "| " << r.name << " | " << grouped(r.members) << " | " << spread(r.interp, 3)
        << " | " << spread(r.jit, 3) << " | " << fixed(speedup, 2) << "× | "
        << fixed(cpuSpeedup, 2) << "× |\n";
  }
  if (!report.rules.empty()) {
    auto count = static_cast<double>(report.rules.size());
    out << "\nGeometric mean of the JIT's speed-up over the " << report.rules.size()
        << " segments: " << fixed(std::exp(logSum / count), 2) << "× ("
        << fixed(std::exp(cpuLogSum / count), 2) << "× in CPU time)\n";
  }
  out << "\n";
}

void printCompile(std::ostream& out, const Report& report) {
  out << "### JIT compile of realistic.crm\n\n| `--jit-opt` | compile ms | CPU ms |\n"
      << "|---|---|---|\n";
  for (int level = 0; level <= 2; ++level) {
    const Timings& t = report.compile[level];
    out << "| " << level << " | " << spread(t, 1, 1000) << " | " << fixed(t.cpuMedian() * 1000, 1)
        << " |\n";
  }
  out << "\n" << report.roots << " roots, with " << report.fallbacks
      << " nodes left to the interpreter.\n\n";
}

void printMemory(std::ostream& out, const Report& report) {
  out << "### Load and memory\n\n| | |\n|---|---|\n"
      << "| customers, orders | " << grouped(report.customers) << ", " << grouped(report.orders)
      << " |\n"
      << "| `crm` load of the CSV files | " << fixed(report.loadSeconds, 1) << " s |\n"
      << "| resident after the load | " << megabytes(report.rssAfterLoad) << " MB |\n"
      << "| peak resident after the load | " << megabytes(report.peakAfterLoad) << " MB |\n";
  if (report.sqliteRows > 0) {
    out << "| SQLite load of orders.csv (" << grouped(report.sqliteRows) << " rows) | "
        << fixed(report.sqliteLoadSeconds, 1) << " s, index " << fixed(report.sqliteIndexSeconds, 1)
        << " s; SQLite allocated " << megabytes(report.sqliteBytes) << " MB |\n";
  }
  out << "| peak resident of the process (`ru_maxrss`) | " << megabytes(report.peakRss)
      << " MB |\n\n";
}

int runBenchmark(const Options& options) {
  Report report;
  progress("checking and loading realistic.crm");
  run::Prepared realistic = checkOrFail(options.data / "realistic.crm");
  loadOrFail(realistic);
  const runtime::Store& store = *realistic.store;
  report.loadSeconds = realistic.loadSeconds;
  report.rssAfterLoad = currentRssBytes();
  report.peakAfterLoad = peakRssBytes();
  report.customers = store.table(realistic.program->customerEntity)->rowCount;
  report.orders = store.table("Order")->rowCount;
  // reference.crm imports the same load_csv.crm, so its program reads the
  // store that realistic.crm loaded.
  run::Prepared reference = checkOrFail(options.data / "reference.crm");

  std::unique_ptr<SqliteOrders> sqlite;
  if (options.sqlite && options.runs("query")) {
    progress("loading orders.csv into SQLite");
    sqlite = std::make_unique<SqliteOrders>();
    report.sqliteLoadSeconds =
        measure([&] { report.sqliteRows = sqlite->load(options.data / "csv" / "orders.csv"); })
            .wall;
    report.sqliteIndexSeconds = measure([&] { sqlite->createIndex(); }).wall;
    report.sqliteBytes = SqliteOrders::memoryBytes();
  }

  if (options.runs("compile")) timeCompiles(options, *realistic.program, store, report);
  if (options.runs("query")) {
    timeReferenceQuery(options, *reference.program, store, sqlite.get(), report);
  }
  timeProgram(options, *realistic.program, store, report);
  if (options.runs("rules")) timeRules(options, *realistic.program, store, report);
  report.peakRss = peakRssBytes();

  std::cout << "as of " << options.asOfText << ", " << grouped(report.customers)
            << " customers, one thread; medians of " << options.repetitions << " runs ("
            << options.ruleRepetitions
            << " for single segments), fastest and slowest in brackets\n\n";
  if (!report.query.empty()) printQuery(std::cout, report);
  if (!report.program.empty()) printProgram(std::cout, report);
  if (!report.rules.empty()) printRules(std::cout, report);
  if (!report.compile[0].seconds.empty()) printCompile(std::cout, report);
  printMemory(std::cout, report);
  return 0;
}

}  // namespace
}  // namespace crm::bench

int main(int argc, char** argv) {
  using namespace crm::bench;
  CLI::App app{"Times rule evaluation on a data set written by crm_gen --shape eval.",
               "crm_eval_bench"};
  Options options;
  std::string data;
  bool noSqlite = false;
  app.add_option("--data", data,
                 "Folder that crm_gen wrote, with realistic.crm and reference.crm beside "
                 "load_csv.crm")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--as-of", options.asOfText, "The instant of the evaluation, in RFC 3339")
      ->capture_default_str();
  app.add_option("--repetitions", options.repetitions,
                 "Runs of each reference query case, whole program and compile")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--rule-repetitions", options.ruleRepetitions, "Runs of each single segment")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_flag("--no-sqlite", noSqlite, "Leave out the SQLite baseline");
  app.add_option("--parts", options.parts,
                 "Parts to run: compile, query (the reference query), program (realistic.crm "
                 "on both engines; program-jit and program-interp on one) and rules (each "
                 "segment alone)")
      ->delimiter(',')
      ->check(CLI::IsMember({"compile", "query", "program", "program-jit", "program-interp",
                             "rules"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  options.data = data;
  options.sqlite = !noSqlite;
  auto asOf = crm::runtime::parseTimestamp(options.asOfText);
  if (!asOf) {
    std::cerr << "crm_eval_bench: --as-of '" << options.asOfText << "' is not RFC 3339\n";
    return 2;
  }
  options.asOf = *asOf;
  try {
    return runBenchmark(options);
  } catch (const std::exception& error) {
    std::cerr << "crm_eval_bench: " << error.what() << "\n";
    return 1;
  }
}
