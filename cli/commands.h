// One function per subcommand; cli.cpp declares their options.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/driver/driver.h"
#include "loader/loader.h"

namespace crm::ir {
struct Program;
}
namespace crm::run {
struct RunResult;
struct Prepared;
}

namespace crm::cli {

struct CheckArguments {
  std::vector<std::string> paths;
  std::string format = "human";
  std::string color = "auto";
  std::vector<std::string> allowed;
  bool denyWarnings = false;
  size_t maxErrors = 100;
};

// Expands folders into the .crm files below them, sorted for a stable order.
// A folder that cannot be walked (a symbolic link loop, no permission) sets
// `failure` to an error with its path.
std::vector<std::string> expandPaths(const std::vector<std::string>& paths, std::string& failure);

int runCheck(const CheckArguments& arguments, std::ostream& out, std::ostream& err);

// Expands folders into the .crm files below them, sorted; files are kept as
// given. Sets `failure` when a folder cannot be searched.
std::vector<std::string> expandPaths(const std::vector<std::string>& paths, std::string& failure);

struct FmtArguments {
  std::vector<std::string> paths;
  bool write = false;  // -w: rewrite the files that are not canonical
  bool check = false;  // --check: list them and exit with 1
};

int runFmt(const FmtArguments& arguments, std::ostream& out, std::ostream& err);

struct LoadArguments {
  std::string script;
  std::vector<std::string> sources;  // name=path
  size_t maxBadRecords = 0;
  std::string rejects;
};

int runLoad(const LoadArguments& arguments, std::ostream& out, std::ostream& err);

// Turns `--source`, `--max-bad-records` and `--rejects` into load options.
// Returns an exit code.
int prepareLoadOptions(const LoadArguments& arguments, load::LoadOptions& options,
                       std::ostream& err);

// Usage error when `--source` names a source that no checked script declares.
int checkSourceNames(const load::LoadOptions& options, const driver::Compilation& compilation,
                     std::ostream& err);

struct RunArguments {
  std::string script;
  std::string asOf;
  bool asOfGiven = false;
  std::string out;
  std::string format = "jsonl";
  std::string report;  // the HTML report's path; empty for none
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::optional<size_t> maxErrors;
  std::string engine = "jit";
  std::string jitOpt = "auto";
  std::string cacheDir;
  bool dumpIr = false;
  std::string history;  // a file path or a postgresql:// URI
  bool commit = false;
  std::string runId;
  double lockTimeout = 60;  // seconds
  LoadArguments load;  // the script field is unused
};

int runRun(const RunArguments& arguments, std::ostream& out, std::ostream& err);

// Reads --as-of into `asOf`; without one, takes the current second and says
// so. Returns an exit code.
int parseAsOf(const std::string& text, bool given, const char* command, int64_t& asOf,
              std::ostream& err);

// Checks `script`, reports what is wrong with it for a run, and loads its
// data. Returns an exit code.
int prepareRun(const std::string& script, const LoadArguments& load, run::Prepared& prepared,
               std::ostream& err);

struct ExplainArguments {
  std::string script;
  std::string customer;
  std::string campaign;
  std::string asOf;
  bool asOfGiven = false;
  std::string format = "text";
  std::string history;
  std::string engine = "jit";
  LoadArguments load;  // the script field is unused
};

int runExplain(const ExplainArguments& arguments, std::ostream& out, std::ostream& err);

struct EvalArguments {
  std::string expression;
  std::string format = "human";
  std::vector<std::string> bindings;      // NAME=JSON
  std::vector<std::string> declarations;  // NAME=TYPE
  std::string script;
  std::string customer;
  std::string asOf;
  std::string engine = "jit";
  // The first tier: unoptimised code starts soonest for one expression.
  int jitOpt = 0;
  std::string cacheDir;
  LoadArguments load;
};

int runEval(const EvalArguments& arguments, std::ostream& out, std::ostream& err);

struct TestArguments {
  std::vector<std::string> paths;
  std::string filter;
  std::string engine = "jit";
  std::string junit;
  bool coverage = false;
  std::optional<double> minCoverage;
};

int runTest(const TestArguments& arguments, std::ostream& out, std::ostream& err);

struct ReplArguments {
  std::string script;  // empty: expressions without data
  std::string asOf;
  bool asOfGiven = false;
  std::string engine = "jit";
  LoadArguments load;  // the script field is unused
};

int runRepl(const ReplArguments& arguments, std::ostream& out, std::ostream& err);

}  // namespace crm::cli
