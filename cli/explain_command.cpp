// `crm explain`: why one customer did or did not get each campaign. The
// whole program runs, since channel capacity is shared by all customers,
// and the run records the decision trace of the one customer asked for.
#include <nlohmann/json.hpp>

#include <map>

#include "cli/cli.h"
#include "cli/commands.h"
#include "run/explain.h"
#include "run/history_run.h"
#include "run/prepare.h"
#include "run/run.h"
#include "runtime/time.h"

namespace crm::cli {
namespace {

bool shown(const run::TraceStep& step, const std::string& campaign) {
  return campaign.empty() || step.campaign.empty() || step.campaign == campaign;
}

nlohmann::json toJson(const ir::Program& program, const run::RunResult& result,
                      const std::string& customer,
                      const std::string& asOf, const std::string& campaign,
                      std::optional<uint32_t> row) {
  nlohmann::json json;
  json["customer"] = customer;
  json["as_of"] = asOf;
  json["steps"] = nlohmann::json::array();
  for (const auto& step : result.trace) {
    if (!shown(step, campaign)) continue;
    nlohmann::json entry = {{"stage", step.stage}, {"name", step.name}, {"outcome", step.outcome}};
    if (!step.campaign.empty()) entry["campaign"] = step.campaign;
    if (!step.detail.empty()) entry["detail"] = step.detail;
    json["steps"].push_back(std::move(entry));
  }
  json["decisions"] = nlohmann::json::array();
  for (const auto& decision : result.decisions) {
    if (!row || decision.customer != *row) continue;
    const std::string& name = program.campaigns[decision.campaign].name;
    if (!campaign.empty() && name != campaign) continue;
    nlohmann::json entry = {{"campaign", name}};
    if (decision.channel >= 0) {
      entry["status"] = "send";
      entry["channel"] = program.channels[decision.channel].name;
      entry["send_at"] = runtime::formatTimestamp(decision.at);
      entry["rank"] = decision.rank;
    } else {
      entry["status"] = "dropped";
      entry["reason"] = decision.reason;
      if (!decision.rule.empty()) entry["rule"] = decision.rule;
      if (!decision.winner.empty()) entry["winner"] = decision.winner;
    }
    json["decisions"].push_back(std::move(entry));
  }
  return json;
}

}  // namespace

int runExplain(const ExplainArguments& arguments, std::ostream& out, std::ostream& err) {
  int64_t asOf = 0;
  int status = parseAsOf(arguments.asOf, arguments.asOfGiven, "explain", asOf, err);
  if (status != kSuccess) return status;
  run::Prepared prepared;
  status = prepareRun(arguments.script, arguments.load, prepared, err);
  if (status != kSuccess) return status;
  const ir::Program& program = *prepared.program;
  const runtime::Store& store = *prepared.store;
  if (!arguments.campaign.empty()) {
    bool known = false;
    for (const auto& campaign : program.campaigns) known = known || campaign.name == arguments.campaign;
    if (!known) {
      err << "crm: " << arguments.script << " has no campaign `" << arguments.campaign
          << "`; the campaigns are:";
      for (const auto& campaign : program.campaigns) err << " " << campaign.name;
      err << "\n";
      return kUsageError;
    }
  }
  const runtime::Table& customers = *store.table(program.customerEntity);
  std::optional<uint32_t> row;
  for (uint32_t r = 0; r < customers.rowCount && !row; ++r) {
    if (customers.keyText(r) == arguments.customer) row = r;
  }
  if (!row) {
    err << "crm: no customer has the key '" << arguments.customer << "' in the data of "
        << arguments.script << "\n";
    return kInvalidInput;
  }

  run::RunOptions options;
  options.engine = arguments.engine == "interp" ? run::Engine::Interpreter : run::Engine::Jit;
  options.asOf = asOf;
  options.traceCustomer = row;
  run::HistorySession session;
  if (!arguments.history.empty()) {
    session.runId = run::defaultRunId(prepared.compilation->sources, asOf);
    std::string error;
    if (!run::openHistorySession(arguments.history, false, 0, program, asOf, session, error)) {
      err << "crm: " << error << "\n";
      return kInvalidInput;
    }
    session.applyTo(options);
  }
  run::RunResult result = run::runProgram(program, store, options);
  if (!result.engineError.empty()) {
    err << "crm: the JIT failed to compile the script: " << result.engineError
        << "\nRun it with --engine interp meanwhile, and report this defect.\n";
    return kInternalError;
  }
  std::string asOfText = runtime::formatTimestamp(asOf);
  if (arguments.format == "json") {
    out << toJson(program, result, arguments.customer, asOfText, arguments.campaign, row)
               .dump(2)
        << "\n";
  } else {
    run::printTrace(out, program, result, arguments.customer, asOfText, arguments.campaign);
  }
  return kSuccess;
}

}  // namespace crm::cli
