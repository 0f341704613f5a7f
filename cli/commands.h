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

int runCheck(const CheckArguments& arguments, std::ostream& out, std::ostream& err);

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
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::optional<size_t> maxErrors;
  std::string engine = "jit";
  std::string jitOpt = "auto";
  std::string cacheDir;
  bool dumpIr = false;
  LoadArguments load;  // the script field is unused
};

int runRun(const RunArguments& arguments, std::ostream& out, std::ostream& err);

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

struct ReplArguments {
  std::string script;  // empty: expressions without data
  std::string asOf;
  bool asOfGiven = false;
  std::string engine = "jit";
  LoadArguments load;  // the script field is unused
};

int runRepl(const ReplArguments& arguments, std::ostream& out, std::ostream& err);

}  // namespace crm::cli
