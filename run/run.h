// The main job: evaluate every campaign of a program for every customer of
// a store at one instant, and collect the decisions. Customers are split
// into contiguous ranges, one per thread, and the ranges' results are joined
// in customer order, so the result is the same whatever the thread count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compiler/lower/ir.h"
#include "history/contact.h"
#include "runtime/store.h"
#include "runtime/value.h"

namespace crm::run {

// Runs over at least this many customers get optimised JIT code by default.
inline constexpr size_t kOptimiseFromCustomers = 100000;

// The engine that evaluates the program. Both give identical results.
enum class Engine { Interpreter, Jit };

const char* engineName(Engine engine);

struct RunOptions {
  Engine engine = Engine::Jit;
  // 0, 1 or 2; -1 chooses by the number of customers: unoptimised code,
  // which compiles several times faster, below kOptimiseFromCustomers.
  int jitOptLevel = -1;
  std::string jitCacheDir;  // see jit::Options::cacheDir
  size_t jitMaxNodes = SIZE_MAX;  // see jit::Options::maxNodes; SIZE_MAX for its default
  int64_t asOf = 0;  // microseconds since the epoch
  unsigned threads = 1;
  // The run stops when more evaluation errors than this occur.
  std::optional<size_t> maxErrors;
  // How many errors are kept in full for the report.
  size_t errorsKept = 20;
  // Keeps the rows of each segment's members in RunResult::members.
  bool collectMembers = false;
  // Called now and then with the number of customers done, from one thread.
  std::function<void(size_t done)> progress;
  // The contact history: earlier messages count toward pressure caps and
  // channel capacity, and handled trigger events do not fire again. Null
  // runs with an empty history.
  const std::vector<history::Contact>* contacts = nullptr;
  // The instant of the previous run: trigger events due at or before it
  // had their run and do not fire again.
  std::optional<int64_t> previousRun;
  // Per campaign name, the share of its past messages that converted; the
  // expected value of campaigns that declare none.
  const std::map<std::string, double>* conversionRates = nullptr;
  // Records the decision trace of one customer row in RunResult::trace.
  std::optional<uint32_t> traceCustomer;
};

// One step of a customer's decision, for `crm explain`.
struct TraceStep {
  std::string stage;   // segment, trigger, campaign, channel, cap, capacity, rank, decision
  std::string name;    // what the step is about: a segment, campaign, channel or rule
  std::string campaign;  // the campaign it belongs to; empty for segments
  std::string outcome;   // the value or verdict, such as `true`, `reachable`, `2 of 3`
  std::string detail;    // more words, such as the window counted
};

// One line of the output: a message to send, or a candidate dropped with a
// reason.
struct Decision {
  uint32_t customer = 0;  // row of the customer table
  uint32_t campaign = 0;  // index into Program::campaigns
  int channel = -1;       // index into Program::channels; -1 when dropped
  std::vector<std::string> offer;  // keys of the offered catalog rows
  int64_t priority = 0;
  std::string expectedValue;  // empty without one
  runtime::Value expected;    // the expected value itself, for ranking; null without one
  uint32_t rank = 0;          // 1 for the customer's first send; 0 when dropped
  std::string reason;         // why a candidate was dropped
  int64_t at = 0;             // when the message goes out
  bool deferred = false;      // moved past the channel's quiet hours or out of its window
  std::string rule;           // the pressure rule or channel that dropped it
  std::string winner;         // the campaign that took the room, or `history`
  std::vector<std::string> events;  // the trigger events it handles
};

// A run-time error inside one customer's evaluation.
struct EvaluationError {
  uint32_t customer = 0;
  std::string rule;  // segment, campaign or channel name
  std::string message;
};

struct RunResult {
  size_t customers = 0;  // evaluated
  std::vector<Decision> decisions;
  std::vector<EvaluationError> errors;  // the first few, in customer order
  size_t errorCount = 0;
  std::map<std::string, size_t> errorsByRule;
  std::vector<size_t> segmentMembers;  // per Program::segments() entry
  // With RunOptions::collectMembers: the customer rows of each segment, in
  // increasing order.
  std::vector<std::vector<uint32_t>> members;
  // Per campaign: sends by channel index, and drops by reason.
  std::vector<std::map<int, size_t>> sendsByChannel;
  std::vector<std::map<std::string, size_t>> dropsByReason;
  // Per channel: messages granted in this run.
  std::vector<size_t> channelSends;
  std::vector<TraceStep> trace;  // with RunOptions::traceCustomer
  bool stopped = false;  // --max-errors was exceeded
  std::string engineError;  // the JIT failed to compile the program; nothing ran
  // The JIT left the whole program to the interpreter (jit::CompiledProgram::note).
  std::string engineNote;
  int jitOptLevel = 0;  // the JIT's level, when it ran
  double compileSeconds = 0;
  double seconds = 0;
};

RunResult runProgram(const ir::Program& program, const runtime::Store& store,
                     const RunOptions& options);

enum class OutputFormat { Jsonl, Csv };

// Writes the decisions atomically. `beforePublish`, when given, runs once
// the file is complete but before it takes its final name; an error it
// returns leaves no file. Returns an empty string or the error.
std::string writeDecisions(const std::string& path, OutputFormat format,
                           const ir::Program& program, const runtime::Store& store,
                           const RunResult& result, int64_t asOf,
                           const std::function<std::string()>& beforePublish = nullptr);

// The decisions as text, for standard output and tests.
std::string formatDecisions(OutputFormat format, const ir::Program& program,
                            const runtime::Store& store, const RunResult& result, int64_t asOf);

}  // namespace crm::run
