#include <iomanip>
#include <sstream>

#include "loader/loader.h"

namespace crm::load {
namespace {

std::string megabytes(size_t bytes) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << static_cast<double>(bytes) / (1024.0 * 1024.0)
      << " MiB";
  return out.str();
}

void printHierarchy(std::ostream& out, const HierarchyStats& stats) {
  out << "\ncatalog hierarchy:";
  for (size_t i = 0; i < stats.levels.size(); ++i) {
    out << (i > 0 ? " >" : "") << " " << stats.levels[i].first << " (" << stats.levels[i].second
        << " nodes)";
  }
  out << "\n";
  size_t total = 0;
  for (size_t i = 0; i < stats.conflictsPerLevel.size(); ++i) {
    if (stats.conflictsPerLevel[i] == 0) continue;
    total += stats.conflictsPerLevel[i];
    out << "  " << stats.conflictsPerLevel[i] << " " << stats.levels[i].first
        << " nodes have products under more than one " << stats.levels[i - 1].first << "\n";
  }
  if (total == 0) return;
  out << "  each such node keeps the parent with the most products (a tie: the first by name)";
  out << (stats.examples.size() < total ? "; the first " + std::to_string(stats.examples.size())
                                        : std::string())
      << ":\n";
  for (const auto& conflict : stats.examples) {
    out << "    " << stats.levels[conflict.level].first << " '" << conflict.node << "': ";
    for (size_t i = 0; i < conflict.parents.size(); ++i) {
      const auto& [parent, products] = conflict.parents[i];
      out << (i > 0 ? ", " : "") << "'" << parent << "' " << products
          << (products == 1 ? " product" : " products") << (i == 0 ? " (kept)" : "");
    }
    out << "\n";
  }
}

}  // namespace

void printReport(std::ostream& out, const LoadReport& report) {
  for (const auto& source : report.sources) {
    out << "source " << source.name << " (" << source.entity << "): " << source.path << ", "
        << source.records << " records, " << source.loaded << " loaded, " << source.rejected
        << " rejected, " << megabytes(source.bytes) << " in " << std::fixed
        << std::setprecision(2) << source.seconds << " s\n";
  }
  for (const auto& table : report.tables) {
    out << "\n" << table.entity << ": " << table.rows << " rows";
    if (table.implicitRows > 0) {
      out << " (" << table.implicitRows << " created from child rows)";
    }
    out << ", " << megabytes(table.bytes) << "\n";
    for (const auto& field : table.fields) {
      if (field.nulls == 0 && field.unresolved == 0) continue;
      out << "  " << field.name << ": ";
      if (field.nulls > 0) out << field.nulls << " null";
      if (field.nulls > 0 && field.unresolved > 0) out << ", ";
      if (field.unresolved > 0) out << field.unresolved << " unresolved references";
      out << "\n";
    }
  }
  if (report.hierarchy) printHierarchy(out, *report.hierarchy);
  if (!report.errors.empty()) {
    out << "\n";
    for (const auto& error : report.errors) out << "error: " << error << "\n";
  }
  if (report.rejectedCount > 0) {
    out << "\n" << report.rejectedCount << " rejected records";
    if (report.rejectedCount > report.maxBadRecords) {
      out << " (more than --max-bad-records " << report.maxBadRecords << ")";
    }
    out << (report.problems.size() < report.rejectedCount
                ? "; the first " + std::to_string(report.problems.size()) + ":\n"
                : ":\n");
    for (const auto& problem : report.problems) {
      out << "  " << problem.location << ": ";
      if (!problem.field.empty()) out << "field `" << problem.field << "`: ";
      out << problem.message << "\n";
    }
  }
}

}  // namespace crm::load
