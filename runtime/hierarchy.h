// The catalog hierarchy that `levels(a > b > c)` declares, built from the
// loaded catalog. A node is a value of one level's field: equal texts at one
// level are one node, wherever they occur. Each node has one parent, the
// value of the level above that most of its products carry, because real
// catalogs file a few products of a category under another department.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/store.h"

namespace crm::runtime {

// A node whose products name more than one parent.
struct HierarchyConflict {
  size_t level = 0;  // index into Hierarchy::levels; at least 1
  std::string node;
  // Each parent with its product count, the kept parent first.
  std::vector<std::pair<std::string, size_t>> parents;
};

class Hierarchy {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // Builds the hierarchy of `catalog` over the string columns `levels`,
  // broadest first. A level that is not a string column of the catalog is
  // left out of the tree: its nodes have no products.
  Hierarchy(const Table& catalog, std::vector<std::string> levels);

  const std::vector<std::string>& levels() const { return levels_; }
  // The index of a level by name, or -1.
  int levelIndex(std::string_view name) const;
  // The node of `product` (a catalog row) at `level`, or kNone when the
  // field is null or empty.
  uint32_t nodeOf(size_t level, uint32_t product) const;
  // The node of `name` at `level`, or kNone when no product carries it.
  uint32_t findNode(size_t level, std::string_view name) const;
  std::string_view nodeName(size_t level, uint32_t node) const;
  // The parent of `node` at level - 1, or kNone at the top level or when no
  // product of the node names a parent.
  uint32_t parentOf(size_t level, uint32_t node) const;
  // The catalog rows under `node` at `level`, in row order.
  const std::vector<uint32_t>& productsOf(size_t level, uint32_t node) const;
  size_t nodeCount(size_t level) const { return products_[level].size(); }

  // Every node with more than one parent, by level then name.
  const std::vector<HierarchyConflict>& conflicts() const { return conflicts_; }

 private:
  void resolveParents(size_t level);

  const Table& catalog_;
  std::vector<std::string> levels_;
  std::vector<const Column*> columns_;  // null for a level that is not a string column
  std::vector<std::vector<uint32_t>> parents_;   // per level, per node
  std::vector<std::vector<std::vector<uint32_t>>> products_;  // per level, per node
  std::vector<HierarchyConflict> conflicts_;
};

}  // namespace crm::runtime
