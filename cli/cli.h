// The `crm` command line. main() only forwards to runCli, so that tests can
// run commands in process.
#pragma once

#include <ostream>

namespace crm::cli {

// Exit codes shared by every command.
enum ExitCode : int {
  kSuccess = 0,
  kInvalidInput = 1,  // the script or data is invalid; diagnostics were printed
  kUsageError = 2,
  kInternalError = 3,
};

int runCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace crm::cli
