#include "cli/cli.h"

#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace crm::cli {

int runCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"crm: check CRM marketing rules written in .crm scripts and load their data",
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
  checkCommand->add_option("--format", check.format, "Output format: human or json")
      ->check(CLI::IsMember({"human", "json"}));
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
      ->check(CLI::Range(size_t{1}, size_t{100000}));

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
      ->check(CLI::Range(size_t{0}, size_t{1} << 40));
  loadCommand->add_option("--rejects", load.rejects,
                          "Write skipped records to this CSV file");

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
    err << "Run `crm --help` for usage.\n";
    return kUsageError;
  }

  try {
    if (checkCommand->parsed()) {
      return runCheck(check, out, err);
    }
    if (loadCommand->parsed()) {
      return runLoad(load, out, err);
    }
  } catch (const std::exception& error) {
    err << "crm: internal error: " << error.what() << "\n"
        << "This is a defect in crm; please report it with the input that caused it.\n";
    return kInternalError;
  }
  return kUsageError;
}

}  // namespace crm::cli
