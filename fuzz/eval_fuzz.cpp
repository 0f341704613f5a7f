// Any bytes as a `crm eval` command line: leading lines `--declare NAME=TYPE`,
// `--bind NAME=JSON` and `--as-of TIMESTAMP` are options, and the rest of
// the input is the expression. The command runs on the interpreter with
// JSON output, which must parse whenever the command succeeds. The JIT is
// the differential target's concern.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>

#include "cli/commands.h"
#include "fuzz/fuzz_support.h"

using namespace crm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  cli::EvalArguments arguments;
  arguments.engine = "interp";
  arguments.format = "json";
  std::string_view rest = input;
  while (!rest.empty()) {
    size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    auto option = [&](std::string_view name) {
      return line.substr(0, name.size()) == name ? std::string(line.substr(name.size()))
                                                 : std::string();
    };
    if (line.starts_with("--declare ")) {
      arguments.declarations.push_back(option("--declare "));
    } else if (line.starts_with("--bind ")) {
      arguments.bindings.push_back(option("--bind "));
    } else if (line.starts_with("--as-of ")) {
      arguments.asOf = option("--as-of ");
    } else {
      break;
    }
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
  arguments.expression = std::string(rest);

  std::ostringstream out;
  std::ostringstream err;
  int status = cli::runEval(arguments, out, err);
  if (status == 0 && !nlohmann::json::accept(out.str())) {
    fuzz::fail("`crm eval --format json` printed text that is not JSON: " + out.str(), input);
  }
  if (status == 3) fuzz::fail("`crm eval` ended with an internal error: " + err.str(), input);
  if (status != 0 && err.str().empty() && out.str().empty()) {
    fuzz::fail("`crm eval` failed without a message", input);
  }
  return 0;
}
