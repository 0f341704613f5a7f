// `crm repl`: an interactive session over a script and its data; the
// session itself is in repl/.
#include <unistd.h>

#include <chrono>

#include "cli/cli.h"
#include "cli/commands.h"
#include "repl/repl.h"
#include "runtime/time.h"

namespace crm::cli {

int runRepl(const ReplArguments& arguments, std::ostream& out, std::ostream& err) {
  repl::SessionOptions options;
  if (!arguments.script.empty())
    options.scriptPath = arguments.script;
  options.engine = arguments.engine == "interp" ? run::Engine::Interpreter : run::Engine::Jit;
  if (!arguments.asOfGiven) {
    options.asOf = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count() *
                   1000000;
  } else {
    auto parsed = runtime::parseTimestamp(arguments.asOf);
    if (!parsed) {
      err << "crm: --as-of: "
          << runtime::timestampProblem(arguments.asOf, "'" + arguments.asOf + "'") << "\n";
      return kUsageError;
    }
    options.asOf = *parsed;
  }
  int status = prepareLoadOptions(arguments.load, options.load, err);
  if (status != kSuccess)
    return status;

  repl::Session session(std::move(options));
  if (!session.start(err))
    return kInvalidInput;
  if (isatty(STDIN_FILENO)) {
    const repl::Workspace& workspace = *session.workspace();
    out << "crm repl: " << (arguments.script.empty() ? "no script" : arguments.script);
    if (workspace.customers != nullptr) {
      out << ", " << workspace.customers->rowCount << " customers";
    }
    out << ", now = " << runtime::formatTimestamp(session.asOf()) << ", engine " << arguments.engine
        << "\n"
        << "Type an expression, a declaration or a command; :help lists them, :quit leaves.\n";
  }
  repl::runOnStandardInput(session, out, err);
  return kSuccess;
}

}  // namespace crm::cli
