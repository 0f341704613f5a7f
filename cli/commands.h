// One function per subcommand; cli.cpp declares their options.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

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

}  // namespace crm::cli
