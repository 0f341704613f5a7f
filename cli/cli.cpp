#include "cli/cli.h"

#include <CLI/CLI.hpp>

#include <cmath>
#include <sstream>

#include "cli/commands.h"

namespace crm::cli {

namespace {

// A whole number from `min` to `max`. CLI::Range reports text that is not
// a number as out of range and prints huge bounds in full, so this
// validator names the expected range instead, as "N or more" for kNoLimit.
constexpr uint64_t kNoLimit = uint64_t{1} << 40;

CLI::Validator wholeNumber(uint64_t min, uint64_t max) {
  std::string expected = "a whole number " + (max >= kNoLimit
                                                  ? "of " + std::to_string(min) + " or more"
                                                  : "from " + std::to_string(min) + " to " +
                                                        std::to_string(max));
  return CLI::Validator(
      [=](const std::string& text) {
        bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        if (!digits) return "expected " + expected + ", not '" + text + "'";
        // Twenty digits or more exceed every bound, and std::stoull would throw.
        bool tooLarge = text.size() > 19 || std::stoull(text) > max;
        if (tooLarge) return "'" + text + "' is too large: at most " + std::to_string(max);
        if (std::stoull(text) < min) return "expected " + expected + ", not '" + text + "'";
        return std::string();
      },
      "N");
}

// A finite number from `min` to `max`.
CLI::Validator boundedNumber(double min, double max) {
  auto format = [](double value) {
    std::ostringstream text;
    text << value;
    return text.str();
  };
  std::string expected = "a number from " + format(min) + " to " + format(max);
  return CLI::Validator(
      [=](const std::string& text) {
        size_t end = 0;
        double value = 0;
        try {
          value = std::stod(text, &end);
        } catch (const std::exception&) {
          end = 0;
        }
        if (end == 0 || end != text.size() || !std::isfinite(value) || value < min ||
            value > max) {
          return "expected " + expected + ", not '" + text + "'";
        }
        return std::string();
      },
      "NUMBER");
}

// An option that names a file or database must not be empty.
const CLI::Validator kNotEmpty(
    [](const std::string& text) { return text.empty() ? std::string("must not be empty") : ""; },
    "TEXT");

}  // namespace

int runCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"crm: check, load and run CRM marketing rules written in .crm scripts",
               "crm"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("crm ") + CRM_VERSION + " (LLVM " +
                                        CRM_LLVM_VERSION + ")");
  app.footer("Exit codes: 0 success, 1 invalid script or data, 2 usage error, 3 internal error.");

  CheckArguments check;
  CLI::App* checkCommand = app.add_subcommand(
      "check", "Parse, resolve and type-check scripts, and report every problem found");
  checkCommand->add_option("files", check.paths, ".crm files, or folders searched for them")
      ->required();
  checkCommand->add_option("--format", check.format, "Output format: human, json or sarif")
      ->check(CLI::IsMember({"human", "json", "sarif"}));
  checkCommand->add_option("--color", check.color, "Colour in human output: auto, always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  // One code per use, so that `-A W0101 a.crm b.crm` keeps the files.
  checkCommand->add_option("-A,--allow", check.allowed,
                           "Silence a warning code everywhere, such as W0101 (repeatable)")
      ->allow_extra_args(false);
  checkCommand->add_flag("--deny-warnings", check.denyWarnings,
                         "Exit with 1 when there are warnings");
  checkCommand->add_option("--max-errors", check.maxErrors,
                           "Stop after this many errors per run (default 100)")
      ->check(wholeNumber(1, 100000));

  LoadArguments load;
  CLI::App* loadCommand = app.add_subcommand(
      "load", "Check a script, load the data its sources name, and report rows, nulls and "
              "rejected records");
  loadCommand->add_option("script", load.script, "The .crm script whose sources to load")
      ->required();
  loadCommand->add_option("--source", load.sources,
                          "Read a source from another path: NAME=PATH (repeatable)")
      ->allow_extra_args(false);
  loadCommand->add_option("--max-bad-records", load.maxBadRecords,
                          "Skip up to N bad records instead of failing (default 0)")
      ->check(wholeNumber(0, kNoLimit));
  loadCommand->add_option("--rejects", load.rejects,
                          "Write skipped records to this CSV file");

  RunArguments run;
  CLI::App* runCommand = app.add_subcommand(
      "run", "Evaluate every campaign for every customer at one instant and write the decisions");
  runCommand->add_option("script", run.script, "The .crm script to run")->required();
  CLI::Option* runAsOf = runCommand->add_option("--as-of", run.asOf,
                         "The instant of the run, RFC 3339 such as 2018-03-01T00:00:00Z "
                         "(default: now, printed so the run can be repeated)");
  runCommand->add_option("--out", run.out, "Write the decisions to this file (default: stdout)");
  runCommand->add_option("--report", run.report,
                         "Write an HTML report of the run (charts and tables) to this file");
  runCommand->add_option("--format", run.format, "Decision format: jsonl or csv")
      ->check(CLI::IsMember({"jsonl", "csv"}));
  runCommand->add_option("--threads", run.threads, "Threads evaluating customers (default: all cores)")
      ->check(wholeNumber(1, 256));
  runCommand->add_option("--max-errors", run.maxErrors,
                         "Stop, writing nothing, after more than N evaluation errors")
      ->check(wholeNumber(0, kNoLimit));
  runCommand->add_option("--engine", run.engine, "Evaluation engine: jit (default) or interp")
      ->check(CLI::IsMember({"jit", "interp"}));
  runCommand->add_option("--jit-opt", run.jitOpt,
                         "JIT optimisation level: 0, 1, 2 or auto (default: 2 from 100,000 "
                         "customers, 0 below)")
      ->check(CLI::IsMember({"0", "1", "2", "auto"}));
  runCommand->add_option("--cache-dir", run.cacheDir,
                         "Keep the JIT's compiled code in this folder for later runs");
  runCommand->add_option("--history", run.history,
                         "The contact history: an SQLite file, or a postgresql:// URI")
      ->check(kNotEmpty);
  runCommand->add_flag("--commit", run.commit,
                       "Append the run's messages to the history (needs --history)");
  runCommand->add_option("--run-id", run.runId,
                         "Name of the run in the history (default: a hash of the scripts and "
                         "--as-of, so a repeated run is not appended twice)");
  runCommand->add_option("--lock-timeout", run.lockTimeout,
                         "Seconds to wait for another committing run (default 60)")
      ->check(boundedNumber(0.0, 86400.0));
  runCommand->add_flag("--dump-ir", run.dumpIr,
                       "Print the JIT's optimised LLVM IR of the script instead of running it");
  runCommand->add_option("--source", run.load.sources,
                         "Read a source from another path: NAME=PATH (repeatable)")
      ->allow_extra_args(false);
  runCommand->add_option("--max-bad-records", run.load.maxBadRecords,
                         "Skip up to N bad records instead of failing (default 0)")
      ->check(wholeNumber(0, kNoLimit));
  runCommand->add_option("--rejects", run.load.rejects, "Write skipped records to this CSV file");

  EvalArguments eval;
  CLI::App* evalCommand = app.add_subcommand(
      "eval", "Evaluate one expression, alone or against one customer of a script's data");
  evalCommand->add_option("expression", eval.expression, "The expression, such as '1 + 2'")
      ->required();
  evalCommand->add_option("--format", eval.format, "Output format: human or json")
      ->check(CLI::IsMember({"human", "json"}));
  evalCommand->add_option("--bind", eval.bindings,
                          "Bind a variable: NAME=JSON, such as x='{\"int\": \"3\"}' (repeatable)")
      ->allow_extra_args(false);
  evalCommand->add_option("--declare", eval.declarations,
                          "Declare a variable's type: NAME=TYPE, such as xs='list(int)' (repeatable)")
      ->allow_extra_args(false);
  evalCommand->add_option("--script", eval.script, "Evaluate in the context of this script");
  evalCommand->add_option("--customer", eval.customer, "The key of the customer to evaluate");
  evalCommand->add_option("--as-of", eval.asOf, "The value of `now` (default: the current time)");
  evalCommand->add_option("--engine", eval.engine, "Evaluation engine: jit (default) or interp")
      ->check(CLI::IsMember({"jit", "interp"}));
  evalCommand->add_option("--cache-dir", eval.cacheDir,
                          "Keep the JIT's compiled code in this folder for later runs");
  evalCommand->add_option("--jit-opt", eval.jitOpt, "JIT optimisation level: 0 (default), 1 or 2")
      ->check(wholeNumber(0, 2));
  evalCommand->add_option("--source", eval.load.sources,
                          "Read a source from another path: NAME=PATH (repeatable)")
      ->allow_extra_args(false);
  evalCommand->add_option("--max-bad-records", eval.load.maxBadRecords,
                          "Skip up to N bad records instead of failing (default 0)")
      ->check(wholeNumber(0, kNoLimit));
  evalCommand->add_option("--rejects", eval.load.rejects, "Write skipped records to this CSV file");

  ExplainArguments explain;
  CLI::App* explainCommand = app.add_subcommand(
      "explain", "Show why one customer did or did not get each campaign: segments, triggers, "
                 "channels, capacity, pressure caps and the ranking");
  explainCommand->add_option("script", explain.script, "The .crm script")->required();
  explainCommand->add_option("--customer", explain.customer, "The key of the customer")
      ->required();
  explainCommand->add_option("--campaign", explain.campaign, "Explain this campaign only");
  CLI::Option* explainAsOf = explainCommand->add_option(
      "--as-of", explain.asOf, "The instant of the run, RFC 3339 (default: now)");
  explainCommand->add_option("--format", explain.format, "Output format: text or json")
      ->check(CLI::IsMember({"text", "json"}));
  explainCommand->add_option("--history", explain.history,
                             "The contact history to read: an SQLite file or a postgresql:// URI")
      ->check(kNotEmpty);
  explainCommand->add_option("--engine", explain.engine, "Evaluation engine: jit (default) or interp")
      ->check(CLI::IsMember({"jit", "interp"}));
  explainCommand->add_option("--source", explain.load.sources,
                             "Read a source from another path: NAME=PATH (repeatable)")
      ->allow_extra_args(false);
  explainCommand->add_option("--max-bad-records", explain.load.maxBadRecords,
                             "Skip up to N bad records instead of failing (default 0)")
      ->check(wholeNumber(0, kNoLimit));

  TestArguments test;
  CLI::App* testCommand = app.add_subcommand(
      "test", "Run the test blocks of scripts and report each failed expectation");
  testCommand->add_option("files", test.paths, ".crm files, or folders searched for them")
      ->required();
  testCommand->add_option("--filter", test.filter,
                          "Run only the tests whose name contains this text, or matches it "
                          "as a glob when it has *, ? or [");
  testCommand->add_option("--engine", test.engine, "Evaluation engine: jit (default) or interp")
      ->check(CLI::IsMember({"jit", "interp"}));
  testCommand->add_option("--junit", test.junit, "Also write the results as JUnit XML to this file");
  testCommand->add_flag("--coverage", test.coverage,
                        "Report the segments, campaigns and channels the tests exercised");
  testCommand->add_option("--min-coverage", test.minCoverage,
                          "Fail when the coverage is below this percentage (0 to 100)")
      ->check(boundedNumber(0.0, 100.0));

  FmtArguments fmt;
  CLI::App* fmtCommand = app.add_subcommand(
      "fmt", "Print a script in the canonical layout, or rewrite or list the files not in it");
  fmtCommand->add_option("files", fmt.paths, ".crm files, or folders searched for them")
      ->required();
  fmtCommand->add_flag("-w,--write", fmt.write, "Rewrite the files that are not in the layout");
  fmtCommand->add_flag("--check", fmt.check,
                       "List the files that are not in the layout and exit with 1 if any");


  ReplArguments repl;
  CLI::App* replCommand = app.add_subcommand(
      "repl", "Evaluate expressions, segments and counts interactively over a script's data");
  replCommand->add_option("script", repl.script, "The .crm script whose data to load");
  CLI::Option* replAsOf = replCommand->add_option(
      "--as-of", repl.asOf, "The value of `now` (default: the current time)");
  replCommand->add_option("--engine", repl.engine, "Evaluation engine: jit (default) or interp")
      ->check(CLI::IsMember({"jit", "interp"}));
  replCommand->add_option("--source", repl.load.sources,
                          "Read a source from another path: NAME=PATH (repeatable)")
      ->allow_extra_args(false);
  replCommand->add_option("--max-bad-records", repl.load.maxBadRecords,
                          "Skip up to N bad records instead of failing (default 0)")
      ->check(wholeNumber(0, kNoLimit));

  // CLI11 reports an unknown command as a missing one.
  if (argc > 1 && argv[1][0] != '-') {
    std::string commands;
    bool known = false;
    for (const CLI::App* command : app.get_subcommands({})) {
      commands += (commands.empty() ? "" : ", ") + command->get_name();
      known = known || command->get_name() == argv[1];
    }
    if (!known) {
      err << "crm: unknown command '" << argv[1] << "'; the commands are " << commands << "\n";
      err << "Run `crm --help` for usage.\n";
      return kUsageError;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return kSuccess;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return kSuccess;
  } catch (const CLI::CallForVersion&) {
    out << app.version() << "\n";
    return kSuccess;
  } catch (const CLI::ParseError& error) {
    err << "crm: " << error.what() << "\n";
    std::vector<CLI::App*> chosen = app.get_subcommands();
    std::string command = chosen.empty() ? "crm" : "crm " + chosen.front()->get_name();
    err << "Run `" << command << " --help` for usage.\n";
    return kUsageError;
  }

  try {
    if (checkCommand->parsed()) {
      return runCheck(check, out, err);
    }
    if (loadCommand->parsed()) {
      return runLoad(load, out, err);
    }
    if (runCommand->parsed()) {
      run.asOfGiven = runAsOf->count() > 0;
      return runRun(run, out, err);
    }
    if (explainCommand->parsed()) {
      explain.asOfGiven = explainAsOf->count() > 0;
      return runExplain(explain, out, err);
    }
    if (evalCommand->parsed()) {
      return runEval(eval, out, err);
    }
    if (testCommand->parsed()) {
      return runTest(test, out, err);
    }
    if (fmtCommand->parsed()) {
      return runFmt(fmt, out, err);
    }
    if (replCommand->parsed()) {
      repl.asOfGiven = replAsOf->count() > 0;
      return runRepl(repl, out, err);
    }
  } catch (const std::exception& error) {
    err << "crm: internal error: " << error.what() << "\n"
        << "This is a defect in crm; please report it with the input that caused it.\n";
    return kInternalError;
  }
  return kUsageError;
}

}  // namespace crm::cli
