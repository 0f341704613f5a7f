// The report of one run as a single HTML file. It shows the run's metadata,
// the members of each segment, the messages per campaign and channel, the
// dropped candidates per reason and the messages per customer. It also
// shows the channels' capacity use, the most offered products and
// categories, and the run-time errors. The file needs nothing else to
// open: styles are inline, charts are SVG drawn here, and it loads no
// script, font or image. Every number a chart shows is in the markup too
// (see report/charts.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/lower/ir.h"
#include "loader/loader.h"
#include "run/prepare.h"
#include "run/run.h"
#include "runtime/store.h"

namespace crm::report {

// A script file the run read, with the SHA-256 of its text in hex, as
// `sha256sum` prints it.
struct ScriptFile {
  std::string path;
  std::string sha256;
};

// The run's metadata that the report shows besides its result.
struct RunInfo {
  std::vector<ScriptFile> scripts;  // the root script first, then its imports
  int64_t asOf = 0;                 // microseconds since the epoch
  run::Engine engine = run::Engine::Jit;
  unsigned threads = 1;
  std::vector<load::SourceStats> sources;
  size_t rejectedRecords = 0;  // skipped by the load under --max-bad-records
  // The field of the catalog's broadest level, which groups offered
  // products into categories; empty when the catalog declares no levels.
  std::string categoryLevel;
  double checkSeconds = 0;
  double loadSeconds = 0;
  double writeSeconds = 0;  // writing the decisions
};

// The most offered products and categories listed per campaign.
inline constexpr size_t kTopOffered = 10;

// Fills the scripts, sources, category level and check and load times of a
// prepared run.
RunInfo describeRun(const run::Prepared& prepared);

// The field of the broadest level of the catalog entity of `compilation`,
// or empty when it has none.
std::string catalogTopLevel(const driver::Compilation& compilation);

// The SHA-256 of `bytes` in lowercase hex.
std::string sha256Hex(std::string_view bytes);

// Builds the report of `result`, a run of `program` over `store`.
std::string buildReport(const ir::Program& program, const runtime::Store& store,
                        const run::RunResult& result, const RunInfo& info);

}  // namespace crm::report
