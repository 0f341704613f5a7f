#include "runtime/hierarchy.h"

#include <algorithm>
#include <map>

namespace crm::runtime {

Hierarchy::Hierarchy(const Table& catalog, std::vector<std::string> levels)
    : catalog_(catalog), levels_(std::move(levels)) {
  for (const auto& name : levels_) {
    const Column* column = catalog.column(name);
    columns_.push_back(column != nullptr && column->kind == ColumnKind::String ? column : nullptr);
  }
  products_.resize(levels_.size());
  parents_.resize(levels_.size());
  for (size_t level = 0; level < levels_.size(); ++level) {
    const Column* column = columns_[level];
    if (column == nullptr) continue;
    products_[level].resize(column->pool.size());
    for (uint32_t row = 0; row < catalog.rowCount; ++row) {
      uint32_t node = nodeOf(level, row);
      if (node != kNone) products_[level][node].push_back(row);
    }
    parents_[level].assign(column->pool.size(), kNone);
    if (level > 0) resolveParents(level);
  }
  std::sort(conflicts_.begin(), conflicts_.end(),
            [](const HierarchyConflict& a, const HierarchyConflict& b) {
              return a.level != b.level ? a.level < b.level : a.node < b.node;
            });
}

// The parent of each node is the value above that most of its products
// carry; a tie goes to the value first in code-point order.
void Hierarchy::resolveParents(size_t level) {
  if (columns_[level - 1] == nullptr) return;
  for (uint32_t node = 0; node < products_[level].size(); ++node) {
    std::map<std::string_view, std::pair<size_t, uint32_t>> counts;  // name -> count, node
    for (uint32_t row : products_[level][node]) {
      uint32_t parent = nodeOf(level - 1, row);
      if (parent == kNone) continue;
      auto& entry = counts[nodeName(level - 1, parent)];
      ++entry.first;
      entry.second = parent;
    }
    if (counts.empty()) continue;
    auto best = counts.begin();
    for (auto it = counts.begin(); it != counts.end(); ++it) {
      if (it->second.first > best->second.first) best = it;
    }
    parents_[level][node] = best->second.second;
    if (counts.size() == 1) continue;
    HierarchyConflict conflict;
    conflict.level = level;
    conflict.node = std::string(nodeName(level, node));
    conflict.parents.emplace_back(std::string(best->first), best->second.first);
    std::vector<std::pair<std::string, size_t>> others;
    for (const auto& [name, entry] : counts) {
      if (name != best->first) others.emplace_back(std::string(name), entry.first);
    }
    std::stable_sort(others.begin(), others.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    conflict.parents.insert(conflict.parents.end(), others.begin(), others.end());
    conflicts_.push_back(std::move(conflict));
  }
}

int Hierarchy::levelIndex(std::string_view name) const {
  for (size_t i = 0; i < levels_.size(); ++i) {
    if (levels_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

uint32_t Hierarchy::nodeOf(size_t level, uint32_t product) const {
  const Column* column = columns_[level];
  if (column == nullptr || product >= catalog_.rowCount || column->isNull(product)) return kNone;
  uint32_t id = column->strings[product];
  return column->pool.text(id).empty() ? kNone : id;
}

uint32_t Hierarchy::findNode(size_t level, std::string_view name) const {
  const Column* column = columns_[level];
  if (column == nullptr || name.empty()) return kNone;
  auto id = column->pool.find(name);
  if (!id || products_[level][*id].empty()) return kNone;
  return *id;
}

std::string_view Hierarchy::nodeName(size_t level, uint32_t node) const {
  return columns_[level]->pool.text(node);
}

uint32_t Hierarchy::parentOf(size_t level, uint32_t node) const {
  if (level == 0 || node >= parents_[level].size()) return kNone;
  return parents_[level][node];
}

const std::vector<uint32_t>& Hierarchy::productsOf(size_t level, uint32_t node) const {
  static const std::vector<uint32_t> kEmpty;
  if (node >= products_[level].size()) return kEmpty;
  return products_[level][node];
}

}  // namespace crm::runtime
