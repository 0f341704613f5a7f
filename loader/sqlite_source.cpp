#include "loader/internal.h"

namespace crm::load::internal {

// TODO: read sqlite sources; until then such a source stops the load with this error.
void readSqliteSource(SourcePlan& source, uint32_t sourceIndex, LoadReport& report,
                       const LoadOptions& options, std::vector<Problem>& rejected) {
  (void)sourceIndex;
  (void)options;
  (void)rejected;
  report.errors.push_back("source `" + source.decl->name.text +
                          "`: the sqlite format cannot be loaded yet; convert the data to CSV");
}

}  // namespace crm::load::internal
