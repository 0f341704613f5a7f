#include "stdlib/recommendation_index.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string_view>
#include <unordered_map>

namespace crm::stdlib::recs {
namespace {

using runtime::ActivityKind;
using runtime::ActivityList;
using runtime::Column;
using runtime::ColumnKind;
using runtime::Store;
using runtime::Table;

// The kind of an event from its type text; false for other types.
bool eventKind(std::string_view type, ActivityKind& kind) {
  if (type == "view") kind = ActivityKind::View;
  else if (type == "cart") kind = ActivityKind::Cart;
  else if (type == "purchase") kind = ActivityKind::Purchase;
  else return false;
  return true;
}

std::string_view eventType(const ActivityList& list, const Table& elements, uint32_t row) {
  const Column& column = elements.columns[static_cast<size_t>(list.typeColumn)];
  if (column.isNull(row)) return {};
  if (column.kind == ColumnKind::String) return column.pool.text(column.strings[row]);
  if (column.kind == ColumnKind::Enum && list.typeEnum != nullptr) {
    auto ordinal = static_cast<size_t>(column.ints[row]);
    if (ordinal < list.typeEnum->values.size()) return list.typeEnum->values[ordinal];
  }
  return {};
}

void visitList(const ActivityList& list, const Table& customers, uint32_t row,
               const std::function<void(const Activity&)>& visit) {
  const Column& children = customers.columns[list.customerColumn];
  if (children.kind != ColumnKind::Children || children.target == nullptr) return;
  const Table& elements = *children.target;
  const Column& product = elements.columns[list.productColumn];
  const Column& time = elements.columns[list.timeColumn];
  if (product.kind != ColumnKind::Reference || time.kind != ColumnKind::Timestamp) return;
  for (uint32_t i = children.offsets[row]; i < children.offsets[row + 1]; ++i) {
    if (product.isNull(i) || time.isNull(i) || product.ints[i] < 0) continue;
    Activity activity{list.events ? ActivityKind::View : ActivityKind::Purchase,
                      static_cast<uint32_t>(product.ints[i]), time.ints[i]};
    if (list.typeColumn >= 0 && !eventKind(eventType(list, elements, i), activity.kind)) continue;
    visit(activity);
  }
}

std::string keyOf(const Table& table, uint32_t row) { return table.keyText(row); }

// Catalog rows ordered by key text, for deterministic ties.
std::vector<uint32_t> rowsByKey(const Table& catalog) {
  std::vector<std::string> keys(catalog.rowCount);
  for (uint32_t row = 0; row < catalog.rowCount; ++row) keys[row] = keyOf(catalog, row);
  std::vector<uint32_t> rows(catalog.rowCount);
  std::iota(rows.begin(), rows.end(), 0);
  std::stable_sort(rows.begin(), rows.end(),
                   [&](uint32_t a, uint32_t b) { return keys[a] < keys[b]; });
  return rows;
}

template <class T>
std::shared_ptr<const T> cached(const Store& store, const std::string& key,
                                const std::function<std::shared_ptr<const T>()>& build) {
  return std::static_pointer_cast<const T>(
      store.derived(key, [&]() -> std::shared_ptr<const void> { return build(); }));
}

// The distinct products of each basket: the purchase lines of one customer
// and one purchase list that share the line entity's key.
void forEachBasket(const Store& store, const runtime::ActivitySchema& schema, int64_t now,
                   const std::function<void(std::vector<uint32_t>&)>& visit) {
  const Table& customers = *store.customers;
  std::unordered_map<std::string, std::vector<uint32_t>> baskets;
  for (const ActivityList& list : schema.purchases) {
    const Column& children = customers.columns[list.customerColumn];
    if (children.kind != ColumnKind::Children || children.target == nullptr) continue;
    const Table& lines = *children.target;
    const Column& product = lines.columns[list.productColumn];
    const Column& time = lines.columns[list.timeColumn];
    for (uint32_t row = 0; row < customers.rowCount; ++row) {
      baskets.clear();
      for (uint32_t i = children.offsets[row]; i < children.offsets[row + 1]; ++i) {
        if (product.isNull(i) || time.isNull(i) || product.ints[i] < 0 || time.ints[i] > now) {
          continue;
        }
        baskets[lines.keyText(i)].push_back(static_cast<uint32_t>(product.ints[i]));
      }
      for (auto& [key, products] : baskets) {
        std::sort(products.begin(), products.end());
        products.erase(std::unique(products.begin(), products.end()), products.end());
        visit(products);
      }
    }
  }
}

}  // namespace

void forEachActivity(const Store& store, const runtime::ActivitySchema& schema, uint32_t row,
                     const std::function<void(const Activity&)>& visit) {
  if (store.customers == nullptr) return;
  for (const ActivityList& list : schema.purchases) visitList(list, *store.customers, row, visit);
  if (schema.hasEvents) visitList(schema.events, *store.customers, row, visit);
}

const runtime::Hierarchy& hierarchy(const Store& store, const runtime::ActivitySchema& schema) {
  auto built = cached<runtime::Hierarchy>(store, "hierarchy", [&] {
    return std::make_shared<const runtime::Hierarchy>(*store.catalog, schema.levels);
  });
  // The store keeps the entry alive as long as itself.
  return *built;
}

std::shared_ptr<const Popularity> popularity(const Store& store,
                                             const runtime::ActivitySchema& schema, int64_t now,
                                             int64_t window) {
  std::string key = "popularity " + std::to_string(now) + " " + std::to_string(window);
  return cached<Popularity>(store, key, [&] {
    const Table& catalog = *store.catalog;
    std::vector<uint32_t> buyers(catalog.rowCount, 0);
    std::vector<uint32_t> bought;
    for (uint32_t row = 0; store.customers != nullptr && row < store.customers->rowCount; ++row) {
      bought.clear();
      forEachActivity(store, schema, row, [&](const Activity& activity) {
        bool inWindow = activity.at <= now && (window < 0 || activity.at >= now - window);
        if (activity.kind == ActivityKind::Purchase && inWindow) bought.push_back(activity.product);
      });
      std::sort(bought.begin(), bought.end());
      bought.erase(std::unique(bought.begin(), bought.end()), bought.end());
      for (uint32_t product : bought) ++buyers[product];
    }
    auto result = std::make_shared<Popularity>();
    std::vector<uint32_t> byKey = rowsByKey(catalog);
    for (uint32_t row : byKey) {
      if (buyers[row] > 0) result->ranked.push_back(row);
    }
    std::stable_sort(result->ranked.begin(), result->ranked.end(),
                     [&](uint32_t a, uint32_t b) { return buyers[a] > buyers[b]; });
    result->position.assign(catalog.rowCount, 0);
    uint32_t next = 0;
    for (uint32_t row : result->ranked) result->position[row] = next++;
    for (uint32_t row : byKey) {
      if (buyers[row] == 0) result->position[row] = next++;
    }
    return std::shared_ptr<const Popularity>(std::move(result));
  });
}

std::shared_ptr<const CoPurchases> coPurchases(const Store& store,
                                               const runtime::ActivitySchema& schema,
                                               int64_t now) {
  return cached<CoPurchases>(store, "co-purchases " + std::to_string(now), [&] {
    const Table& catalog = *store.catalog;
    std::vector<uint32_t> baskets(catalog.rowCount, 0);
    std::unordered_map<uint64_t, uint32_t> pairs;
    if (store.customers != nullptr) {
      forEachBasket(store, schema, now, [&](std::vector<uint32_t>& products) {
        for (uint32_t product : products) ++baskets[product];
        if (products.size() > kMaxBasketProducts) return;
        for (size_t i = 0; i < products.size(); ++i) {
          for (size_t j = i + 1; j < products.size(); ++j) {
            ++pairs[uint64_t{products[i]} << 32 | products[j]];
          }
        }
      });
    }
    auto result = std::make_shared<CoPurchases>();
    result->neighbours.resize(catalog.rowCount);
    for (const auto& [pair, count] : pairs) {
      auto a = static_cast<uint32_t>(pair >> 32);
      auto b = static_cast<uint32_t>(pair & 0xffffffffU);
      double score = count / std::sqrt(static_cast<double>(baskets[a]) * baskets[b]);
      result->neighbours[a].push_back({b, score});
      result->neighbours[b].push_back({a, score});
    }
    std::shared_ptr<const Popularity> popular = popularity(store, schema, now, -1);
    for (auto& list : result->neighbours) {
      std::sort(list.begin(), list.end(), [&](const Neighbour& x, const Neighbour& y) {
        if (x.score != y.score) return x.score > y.score;
        return popular->position[x.product] < popular->position[y.product];
      });
    }
    return std::shared_ptr<const CoPurchases>(std::move(result));
  });
}

}  // namespace crm::stdlib::recs
