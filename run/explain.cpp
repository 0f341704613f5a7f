#include "run/explain.h"

namespace crm::run {

void printTrace(std::ostream& out, const ir::Program& program, const RunResult& result,
                const std::string& customer, const std::string& asOf,
                const std::string& campaign) {
  out << "customer " << customer << " as of " << asOf << "\n";
  bool segments = false;
  for (const auto& step : result.trace) {
    if (step.stage != "segment" && step.stage != "error") continue;
    if (!segments) out << "\nsegments\n";
    segments = true;
    out << "  " << step.name << ": " << step.outcome;
    if (!step.detail.empty()) out << " (" << step.detail << ")";
    out << "\n";
  }
  for (const auto& declared : program.campaigns) {
    if (!campaign.empty() && declared.name != campaign) continue;
    out << "\ncampaign " << declared.name << "\n";
    bool any = false;
    for (const auto& step : result.trace) {
      if (step.campaign != declared.name) continue;
      any = true;
      out << "  " << step.stage << " " << step.name << ": " << step.outcome;
      if (!step.detail.empty()) out << " (" << step.detail << ")";
      out << "\n";
    }
    if (!any) out << "  not evaluated: an earlier error stopped the customer\n";
  }
}

}  // namespace crm::run
