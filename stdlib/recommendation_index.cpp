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
  if (type == "view" || type == "product_view") {
    kind = ActivityKind::View;
  } else if (type == "cart" || type == "add_to_cart") {
    kind = ActivityKind::Cart;
  } else if (type == "purchase") {
    kind = ActivityKind::Purchase;
  } else {
    return false;
  }
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

// The catalog row a reference column names at `row`, or -1 when it is null
// or names no row.
int64_t productAt(const Column& product, uint32_t row) {
  return product.isNull(row) ? -1 : product.ints[row];
}

// Calls `visit(product, at, element)` for each element of one customer's
// list that names a catalog row and has a time. For a list of orders, each
// line of the order is one call, with the order's row and time.
void visitElements(const ActivityList& list, const Table& customers, uint32_t row,
                   const std::function<void(uint32_t, int64_t, uint32_t)>& visit) {
  const Column& children = customers.columns[list.customerColumn];
  if (children.kind != ColumnKind::Children || children.target == nullptr) return;
  const Table& elements = *children.target;
  const Column& time = elements.columns[list.timeColumn];
  if (time.kind != ColumnKind::Timestamp) return;
  const Column* lines = list.linesColumn >= 0
                            ? &elements.columns[static_cast<size_t>(list.linesColumn)]
                            : nullptr;
  if (lines != nullptr && (lines->kind != ColumnKind::Children || lines->target == nullptr)) return;
  const Table& products = lines != nullptr ? *lines->target : elements;
  const Column& product = products.columns[list.productColumn];
  if (product.kind != ColumnKind::Reference) return;
  for (uint32_t i = children.offsets[row]; i < children.offsets[row + 1]; ++i) {
    if (time.isNull(i)) continue;
    uint32_t first = lines != nullptr ? lines->offsets[i] : i;
    uint32_t last = lines != nullptr ? lines->offsets[i + 1] : i + 1;
    for (uint32_t j = first; j < last; ++j) {
      int64_t catalogRow = productAt(product, j);
      if (catalogRow >= 0) visit(static_cast<uint32_t>(catalogRow), time.ints[i], i);
    }
  }
}

void visitList(const ActivityList& list, const Table& customers, uint32_t row,
               const std::function<void(const Activity&)>& visit) {
  const Table* elements = customers.columns[list.customerColumn].target;
  visitElements(list, customers, row, [&](uint32_t product, int64_t at, uint32_t element) {
    Activity activity{list.events ? ActivityKind::View : ActivityKind::Purchase, product, at};
    if (list.typeColumn >= 0 && !eventKind(eventType(list, *elements, element), activity.kind)) {
      return;
    }
    visit(activity);
  });
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

// The distinct products of each basket: the lines of one order, or the
// purchase lines of one customer and one list that share the line entity's
// key.
void forEachBasket(const Store& store, const runtime::ActivitySchema& schema, int64_t now,
                   const std::function<void(std::vector<uint32_t>&)>& visit) {
  const Table& customers = *store.customers;
  std::unordered_map<std::string, std::vector<uint32_t>> baskets;
  for (const ActivityList& list : schema.purchases) {
    const Table* elements = customers.columns[list.customerColumn].target;
    auto distinct = [&](std::vector<uint32_t>& products) {
      std::sort(products.begin(), products.end());
      products.erase(std::unique(products.begin(), products.end()), products.end());
      visit(products);
    };
    for (uint32_t row = 0; row < customers.rowCount; ++row) {
      baskets.clear();
      // The lines of one order come one after the other.
      std::vector<uint32_t> order;
      uint32_t orderRow = UINT32_MAX;
      visitElements(list, customers, row, [&](uint32_t product, int64_t at, uint32_t element) {
        if (at > now) return;
        if (list.linesColumn < 0) {
          baskets[elements->keyText(element)].push_back(product);
          return;
        }
        if (element != orderRow && !order.empty()) distinct(order);
        if (element != orderRow) order.clear();
        orderRow = element;
        order.push_back(product);
      });
      if (!order.empty()) distinct(order);
      for (auto& [key, products] : baskets) distinct(products);
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

namespace {

// The baskets as one array of products and the start of each basket, and
// the number of baskets of each product. Baskets of more than
// kMaxBasketProducts products count for their products but are not kept.
struct Baskets {
  std::vector<uint32_t> products;
  std::vector<size_t> starts{0};
  std::vector<uint32_t> perProduct;
};

Baskets collectBaskets(const Store& store, const runtime::ActivitySchema& schema, int64_t now) {
  Baskets baskets;
  baskets.perProduct.assign(store.catalog->rowCount, 0);
  if (store.customers == nullptr) return baskets;
  forEachBasket(store, schema, now, [&](std::vector<uint32_t>& products) {
    for (uint32_t product : products) ++baskets.perProduct[product];
    if (products.size() < 2 || products.size() > kMaxBasketProducts) return;
    baskets.products.insert(baskets.products.end(), products.begin(), products.end());
    baskets.starts.push_back(baskets.products.size());
  });
  return baskets;
}

// For each product, the baskets (indexes into Baskets::starts) that hold it.
std::vector<std::vector<uint32_t>> basketsOfProducts(const Baskets& baskets, size_t products) {
  std::vector<std::vector<uint32_t>> result(products);
  for (uint32_t basket = 0; basket + 1 < baskets.starts.size(); ++basket) {
    for (size_t i = baskets.starts[basket]; i < baskets.starts[basket + 1]; ++i) {
      result[baskets.products[i]].push_back(basket);
    }
  }
  return result;
}

}  // namespace

std::shared_ptr<const CoPurchases> coPurchases(const Store& store,
                                               const runtime::ActivitySchema& schema,
                                               int64_t now) {
  return cached<CoPurchases>(store, "co-purchases " + std::to_string(now), [&] {
    const size_t productCount = store.catalog->rowCount;
    Baskets baskets = collectBaskets(store, schema, now);
    std::vector<std::vector<uint32_t>> basketsOf = basketsOfProducts(baskets, productCount);
    std::shared_ptr<const Popularity> popular = popularity(store, schema, now, -1);
    auto result = std::make_shared<CoPurchases>();
    result->neighbours.resize(productCount);

    // Counts the partners of one product at a time in a dense array, which
    // touches memory far less than a map of every pair.
    std::vector<uint32_t> together(productCount, 0);
    std::vector<uint32_t> partners;
    for (uint32_t product = 0; product < productCount; ++product) {
      partners.clear();
      for (uint32_t basket : basketsOf[product]) {
        for (size_t i = baskets.starts[basket]; i < baskets.starts[basket + 1]; ++i) {
          uint32_t partner = baskets.products[i];
          if (partner != product && together[partner]++ == 0) partners.push_back(partner);
        }
      }
      std::vector<Neighbour>& list = result->neighbours[product];
      list.reserve(partners.size());
      for (uint32_t partner : partners) {
        double both = together[partner];
        double each = static_cast<double>(baskets.perProduct[product]) *
                      static_cast<double>(baskets.perProduct[partner]);
        double score = both / std::sqrt(each);
        list.push_back({partner, score});
        together[partner] = 0;
      }
      auto better = [&](const Neighbour& x, const Neighbour& y) {
        if (x.score != y.score) return x.score > y.score;
        return popular->position[x.product] < popular->position[y.product];
      };
      size_t keptCount = std::min(list.size(), kMaxNeighbours);
      auto keptEnd = list.begin() + static_cast<std::ptrdiff_t>(keptCount);
      std::partial_sort(list.begin(), keptEnd, list.end(), better);
      list.resize(keptCount);
      list.shrink_to_fit();
    }
    return std::shared_ptr<const CoPurchases>(std::move(result));
  });
}

}  // namespace crm::stdlib::recs
