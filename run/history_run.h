// A run against the contact history: what it reads before evaluating and
// what it appends after. Shared by `crm run` and `crm explain`.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/driver/driver.h"
#include "compiler/lower/ir.h"
#include "history/history.h"
#include "run/run.h"
#include "runtime/store.h"

namespace crm::run {

struct HistorySession {
  std::unique_ptr<history::History> history;
  std::string runId;
  std::string scriptHash;  // recorded with the run
  bool alreadyCommitted = false;  // a run with this id is in the history
  std::vector<history::Contact> contacts;
  std::map<std::string, double> conversionRates;
  std::optional<int64_t> previousRun;

  // Points the run at what the session read.
  void applyTo(RunOptions& options) const;
};

// The earliest instant any cap or capacity of `program` can count at
// `asOf`: older messages are not read. Trigger handles are always read.
int64_t historyHorizon(const ir::Program& program, int64_t asOf);

// A hash of the scripts' text, as 16 hexadecimal digits.
std::string scriptHash(const source::SourceManager& sources);

// A run id that names the run: the as-of and the scripts' hash, so that
// repeating a run reuses its id.
std::string defaultRunId(const source::SourceManager& sources, int64_t asOf);

// Opens the history and reads it within the run's transaction, which holds
// the write lock when `commit` is set. Returns false with `error`.
bool openHistorySession(const std::string& location, bool commit, int lockTimeoutMs,
                        const ir::Program& program, int64_t asOf, HistorySession& session,
                        std::string& error);

// The messages of a run, as the history stores them.
std::vector<history::Contact> sendsOf(const ir::Program& program, const runtime::Store& store,
                                      const RunResult& result);

// Appends the run's messages and commits, unless the run is already in
// the history. Returns false with `error`.
bool commitRun(HistorySession& session, const ir::Program& program, const runtime::Store& store,
               const RunResult& result, int64_t asOf, std::string& error);

}  // namespace crm::run
