// `crm run`: check a script, load its data, evaluate every campaign for every
// customer at one instant, write the decisions and print a summary.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cli/cli.h"
#include "cli/commands.h"
#include "compiler/diag/render.h"
#include "compiler/driver/driver.h"
#include "history/history.h"
#include "jit/jit.h"
#include "loader/loader.h"
#include "report/report.h"
#include "report/html.h"
#include "run/history_run.h"
#include "run/prepare.h"
#include "run/run.h"
#include "runtime/atomic_file.h"
#include "runtime/time.h"

namespace crm::cli {
namespace {

using report::grouped;

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string padded(const std::string& text, size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

std::string rightAligned(const std::string& text, size_t width) {
  return text.size() >= width ? text : std::string(width - text.size(), ' ') + text;
}

void printSummary(std::ostream& err, const ir::Program& program, const runtime::Store& store,
                  const run::RunResult& result, const RunArguments& arguments, size_t rejected,
                  const std::string& asOf, double checkSeconds, double loadSeconds,
                  double writeSeconds) {
  bool jit = arguments.engine == "jit" && result.engineNote.empty();
  err << "crm run: as of " << asOf << ", engine " << (jit ? "jit" : "interp")
      << (jit ? " (-O" + std::to_string(result.jitOptLevel) + ")" : "") << ", "
      << arguments.threads << (arguments.threads == 1 ? " thread\n" : " threads\n");
  if (!result.engineNote.empty()) err << "note: " << result.engineNote << "\n";
  err << "customers evaluated: " << grouped(result.customers) << "\n";
  if (rejected > 0) {
    err << "records skipped by the load: " << grouped(rejected)
        << " (--max-bad-records; --rejects FILE lists them)\n";
  }
  auto segments = program.segments();
  if (!segments.empty()) {
    size_t width = 8;
    for (uint32_t index : segments) width = std::max(width, program.declarations[index].name.size());
    width += 2;
    err << "\n" << padded("segment", width + 2) << rightAligned("members", 10) << "\n";
    for (size_t i = 0; i < segments.size(); ++i) {
      err << "  " << padded(program.declarations[segments[i]].name, width)
          << rightAligned(grouped(result.segmentMembers[i]), 10) << "\n";
    }
  }
  if (!program.campaigns.empty()) {
    size_t width = 8;
    for (const auto& campaign : program.campaigns) width = std::max(width, campaign.name.size());
    width += 2;
    // The outcome column fits its longest entry, such as a capping rule.
    size_t outcomeWidth = 32;
    for (size_t c = 0; c < program.campaigns.size(); ++c) {
      for (const auto& [channel, count] : result.sendsByChannel[c]) {
        outcomeWidth = std::max(outcomeWidth, program.channels[channel].name.size() + 11);
      }
      for (const auto& [reason, count] : result.dropsByReason[c]) {
        outcomeWidth = std::max(outcomeWidth, reason.size() + 11);
      }
    }
    err << "\n" << padded("campaign", width + 2) << padded("outcome", outcomeWidth)
        << rightAligned("count", 10) << "\n";
    for (size_t c = 0; c < program.campaigns.size(); ++c) {
      bool any = false;
      for (const auto& [channel, count] : result.sendsByChannel[c]) {
        err << "  " << padded(program.campaigns[c].name, width)
            << padded("send via " + program.channels[channel].name, outcomeWidth)
            << rightAligned(grouped(count), 10) << "\n";
        any = true;
      }
      for (const auto& [reason, count] : result.dropsByReason[c]) {
        err << "  " << padded(program.campaigns[c].name, width)
            << padded("dropped: " + reason, outcomeWidth)
            << rightAligned(grouped(count), 10) << "\n";
        any = true;
      }
      if (!any) {
        err << "  " << padded(program.campaigns[c].name, width)
            << padded("no candidates", outcomeWidth)
            << rightAligned("0", 10) << "\n";
      }
    }
  }
  err << "\nerrors: " << grouped(result.errorCount) << "\n";
  for (const auto& [rule, count] : result.errorsByRule) {
    err << "  " << rule << ": " << grouped(count) << "\n";
  }
  const runtime::Table* customers = store.table(program.customerEntity);
  for (const auto& error : result.errors) {
    err << "  customer " << (customers != nullptr ? customers->keyText(error.customer) : "?")
        << ", " << error.rule << ": " << error.message << "\n";
  }
  if (result.errorCount > result.errors.size()) {
    err << "  (" << grouped(result.errorCount - result.errors.size()) << " more not shown)\n";
  }
  char timing[200];
  std::snprintf(timing, sizeof timing,
                "\ntime: check %.2f s, load %.2f s, compile %.2f s, evaluate %.2f s, write %.2f s\n",
                checkSeconds, loadSeconds, result.compileSeconds,
                result.seconds - result.compileSeconds, writeSeconds);
  err << timing;
}

// Writes the HTML report once the decisions are out, so that a report
// that cannot be written costs no decisions. Returns an exit code.
int writeReport(const RunArguments& arguments, const run::Prepared& prepared,
                const run::RunResult& result, int64_t asOf, double writeSeconds,
                std::ostream& err) {
  report::RunInfo info = report::describeRun(prepared);
  info.asOf = asOf;
  bool jit = arguments.engine == "jit" && result.engineNote.empty();
  info.engine = jit ? run::Engine::Jit : run::Engine::Interpreter;
  info.threads = arguments.threads;
  info.writeSeconds = writeSeconds;
  std::string html = report::buildReport(*prepared.program, *prepared.store, result, info);
  std::string error = runtime::writeFileAtomically(arguments.report, html, "the report");
  if (!error.empty()) {
    err << "crm: " << error << "; the decisions were written, only the report is missing\n";
    return kInvalidInput;
  }
  err << "report: " << arguments.report << "\n";
  return kSuccess;
}

// The file that the run reads and `output` names too: a script, a data
// file or the history file. Returns a phrase naming it, or an empty string.
std::string inputAt(const std::string& output, const run::Prepared& prepared,
                    const std::string& history) {
  auto same = [&](const std::string& input) { return runtime::sameFile(output, input); };
  const auto& files = prepared.compilation->sources;
  for (source::FileId id = 0; id < files.size(); ++id) {
    if (same(files.file(id).path())) return "the script '" + files.file(id).path() + "'";
  }
  for (const auto& source : prepared.loadReport.sources) {
    if (same(source.path)) return "the data file '" + source.path + "' of source `" + source.name + "`";
  }
  if (!history::isPostgres(history) && same(history)) {
    return "the contact history '" + history + "'";
  }
  return "";
}

// The files a run writes, by option.
std::vector<std::pair<const char*, const std::string*>> outputsOf(const RunArguments& arguments) {
  return {{"--out", &arguments.out},
          {"--report", &arguments.report},
          {"--rejects", &arguments.load.rejects}};
}

// Rejects two outputs that name one file, before anything is read or
// written. Returns an exit code.
int checkOutputsAreDistinct(const RunArguments& arguments, std::ostream& err) {
  auto outputs = outputsOf(arguments);
  for (size_t i = 0; i < outputs.size(); ++i) {
    const auto& [option, path] = outputs[i];
    if (path->empty() || *path == "-") continue;
    for (size_t j = 0; j < i; ++j) {
      const auto& [otherOption, otherPath] = outputs[j];
      if (*otherPath == "-" || !runtime::sameFile(*path, *otherPath)) continue;
      err << "crm: " << otherOption << " " << *otherPath << " and " << option << " " << *path
          << " name the same file; give each output its own path\n";
      return kUsageError;
    }
  }
  return kSuccess;
}

// Rejects an output path that names a file the run reads, before the run
// replaces it. Returns an exit code.
int checkOutputsAreNotInputs(const RunArguments& arguments, const run::Prepared& prepared,
                             std::ostream& err) {
  for (const auto& [option, path] : outputsOf(arguments)) {
    if (path->empty() || *path == "-") continue;
    std::string input = inputAt(*path, prepared, arguments.history);
    if (input.empty()) continue;
    err << "crm: " << option << " " << *path << " is " << input
        << ", which the run reads; give " << option << " another path\n";
    return kUsageError;
  }
  return kSuccess;
}

// Fails before the run when an output file cannot be created, so that a
// long evaluation is not lost to a missing or read-only folder.
int checkOutputsAreWritable(const RunArguments& arguments, std::ostream& err) {
  const std::pair<const char*, const std::string*> outputs[] = {
      {"the decisions file", &arguments.out}, {"the report", &arguments.report}};
  for (const auto& [description, path] : outputs) {
    if (path->empty() || *path == "-") continue;
    std::string error = runtime::checkWritable(*path, description);
    if (error.empty()) continue;
    err << "crm: " << error << "\n";
    return kInvalidInput;
  }
  return kSuccess;
}

}  // namespace

int parseAsOf(const std::string& text, bool given, const char* command, int64_t& asOf,
              std::ostream& err) {
  if (given && text.empty()) {
    err << "crm: --as-of is empty; give an RFC 3339 timestamp such as 2018-03-01T00:00:00Z\n";
    return kUsageError;
  }
  if (text.empty()) {
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    // Whole seconds, so that the printed instant reproduces the run.
    asOf = micros.count() / runtime::kMicrosPerSecond * runtime::kMicrosPerSecond;
    std::string now = runtime::formatTimestamp(asOf);
    err << "crm " << command << ": no --as-of given; using the current time " << now
        << " (pass --as-of " << now << " to repeat this run)\n";
    return kSuccess;
  }
  auto parsed = runtime::parseTimestamp(text);
  if (!parsed) {
    err << "crm: --as-of: " << runtime::timestampProblem(text, "'" + text + "'") << "\n";
    return kUsageError;
  }
  asOf = *parsed;
  return kSuccess;
}

int prepareRun(const std::string& script, const LoadArguments& load, run::Prepared& prepared,
               std::ostream& err) {
  load::LoadOptions loadOptions;
  int status = prepareLoadOptions(load, loadOptions, err);
  if (status != kSuccess) return status;
  prepared = run::checkScript(script);
  auto& compilation = *prepared.compilation;
  diag::renderHuman(err, compilation.sources, compilation.diagnostics->sorted(), {false});
  if (prepared.program == nullptr) return kInvalidInput;
  const ir::Program& program = *prepared.program;
  if (program.customerEntity.empty()) {
    err << "crm: " << script
        << " declares no customer entity, so there is nobody to evaluate; declare one with "
           "`customer entity NAME key FIELD { ... }`\n";
    return kInvalidInput;
  }
  for (const auto& problem : program.problems) err << "crm: " << script << ": " << problem << "\n";
  if (!program.problems.empty()) return kInvalidInput;
  status = checkSourceNames(loadOptions, compilation, err);
  if (status != kSuccess) return status;
  run::loadData(prepared, loadOptions);
  if (!prepared.ok()) {
    load::printReport(err, prepared.loadReport);
    return kInvalidInput;
  }
  return kSuccess;
}

int runRun(const RunArguments& arguments, std::ostream& out, std::ostream& err) {
  int64_t asOf = 0;
  int status = parseAsOf(arguments.asOf, arguments.asOfGiven, "run", asOf, err);
  if (status != kSuccess) return status;
  std::string asOfText = runtime::formatTimestamp(asOf);
  if (arguments.commit && arguments.history.empty()) {
    err << "crm: --commit appends to the contact history, so it needs --history PATH\n";
    return kUsageError;
  }
  if (!arguments.runId.empty() && arguments.history.empty()) {
    err << "crm: --run-id names the run in the contact history, so it needs --history PATH\n";
    return kUsageError;
  }
  if (arguments.report == "-") {
    err << "crm: --report takes a file path, not '-'; give a path such as --report report.html\n";
    return kUsageError;
  }
  status = checkOutputsAreDistinct(arguments, err);
  if (status != kSuccess) return status;
  status = checkOutputsAreWritable(arguments, err);
  if (status != kSuccess) return status;
  run::Prepared prepared;
  status = prepareRun(arguments.script, arguments.load, prepared, err);
  if (status != kSuccess) return status;
  status = checkOutputsAreNotInputs(arguments, prepared, err);
  if (status != kSuccess) return status;
  auto& compilation = *prepared.compilation;
  const ir::Program& program = *prepared.program;
  const runtime::Store& store = *prepared.store;

  if (arguments.dumpIr) {
    jit::Options jitOptions;
    jitOptions.optLevel = arguments.jitOpt == "auto" ? 2 : std::stoi(arguments.jitOpt);
    jitOptions.keepIr = true;
    std::string error;
    auto compiled = jit::compile(program, &store, jitOptions, error);
    if (compiled == nullptr) {
      err << "crm: the JIT failed: " << error << "\n";
      return kInternalError;
    }
    if (!compiled->note().empty()) err << "crm: note: " << compiled->note() << "\n";
    out << compiled->ir();
    return kSuccess;
  }

  run::RunOptions options;
  options.engine = arguments.engine == "interp" ? run::Engine::Interpreter : run::Engine::Jit;
  options.jitOptLevel = arguments.jitOpt == "auto" ? -1 : std::stoi(arguments.jitOpt);
  options.jitCacheDir = arguments.cacheDir;
  options.asOf = asOf;
  options.threads = arguments.threads;
  options.maxErrors = arguments.maxErrors;
  bool progressShown = false;
  if (::isatty(STDERR_FILENO) != 0) {
    const runtime::Table* customers = store.table(program.customerEntity);
    size_t total = customers != nullptr ? customers->rowCount : 0;
    auto started = Clock::now();
    options.progress = [&err, total, started, &progressShown](size_t done) {
      // Only runs longer than two seconds show progress.
      if (!progressShown && secondsSince(started) < 2.0) return;
      progressShown = true;
      err << "\revaluating: " << grouped(done) << " / " << grouped(total) << " customers"
          << std::flush;
    };
  }
  run::HistorySession session;
  if (!arguments.history.empty()) {
    session.runId = arguments.runId.empty() ? run::defaultRunId(compilation.sources, asOf)
                                            : arguments.runId;
    session.scriptHash = run::scriptHash(compilation.sources);
    std::string error;
    if (!run::openHistorySession(arguments.history, arguments.commit,
                                 static_cast<int>(arguments.lockTimeout * 1000), program, asOf,
                                 session, error)) {
      err << "crm: " << error << "\n";
      return kInvalidInput;
    }
    session.applyTo(options);
  }
  run::RunResult result = run::runProgram(program, store, options);
  if (progressShown) err << "\n";
  if (!result.engineError.empty()) {
    err << "crm: the JIT failed to compile the script: " << result.engineError
        << "\nRun it with --engine interp meanwhile, and report this defect.\n";
    return kInternalError;
  }

  auto format = arguments.format == "csv" ? run::OutputFormat::Csv : run::OutputFormat::Jsonl;
  if (result.stopped) {
    printSummary(err, program, store, result, arguments, prepared.loadReport.rejectedCount, asOfText, prepared.checkSeconds,
                 prepared.loadSeconds, 0);
    err << "crm: the run stopped after more than " << *arguments.maxErrors
        << " evaluation errors (--max-errors); no decisions were written\n";
    return kInvalidInput;
  }
  auto writeStart = Clock::now();
  // The history takes the run before the decisions are published. A failure
  // or a kill in between then leaves no decision file that the history lacks,
  // and a repeated run writes the same decisions.
  std::string historyNote;
  auto commitHistory = [&]() -> std::string {
    if (!arguments.commit) return "";
    std::string error;
    if (!run::commitRun(session, program, store, result, asOf, error)) return error;
    size_t appended = run::sendsOf(program, store, result).size();
    historyNote = session.alreadyCommitted
                      ? "history: run " + session.runId +
                            " is already in the history; nothing appended\n"
                      : "history: appended " + grouped(appended) +
                            (appended == 1 ? " message" : " messages") + " as run " +
                            session.runId + "\n";
    return "";
  };
  if (arguments.out.empty() || arguments.out == "-") {
    std::string error = commitHistory();
    if (!error.empty()) {
      err << "crm: " << error << "; nothing was written\n";
      return kInvalidInput;
    }
    out << run::formatDecisions(format, program, store, result, asOf);
    out.flush();
    if (!out) {
      err << "crm: cannot write the decisions to standard output (is it closed, or the disk "
             "full?); write them to a file with --out FILE\n";
      return kInvalidInput;
    }
  } else {
    std::string error =
        run::writeDecisions(arguments.out, format, program, store, result, asOf, commitHistory);
    if (!error.empty()) {
      err << "crm: " << error << "\n";
      return kInvalidInput;
    }
  }
  double writeSeconds = secondsSince(writeStart);
  printSummary(err, program, store, result, arguments, prepared.loadReport.rejectedCount, asOfText, prepared.checkSeconds,
               prepared.loadSeconds, writeSeconds);
  err << historyNote;
  if (!arguments.report.empty()) {
    return writeReport(arguments, prepared, result, asOf, writeSeconds, err);
  }
  return kSuccess;
}

}  // namespace crm::cli
