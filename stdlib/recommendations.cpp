#include "stdlib/recommendations.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <unordered_map>

#include "runtime/time.h"
#include "stdlib/recommendation_index.h"

namespace crm::stdlib {
namespace {

using runtime::ActivityKind;
using runtime::ErrorKind;
using runtime::Hierarchy;
using runtime::Value;
using runtime::ValueKind;

Value invalid(const std::string& message) {
  return Value::error(ErrorKind::InvalidArgument, message);
}

std::string name(Builtin builtin) { return "`" + std::string(builtinName(builtin)) + "`"; }

// Null when the data the function reads is there, else the error.
Value requireData(Builtin builtin, const BuiltinContext& context, bool customer) {
  if (context.store == nullptr || context.activity == nullptr ||
      context.store->catalog == nullptr) {
    return invalid(name(builtin) + " needs a script's data: run it with `crm run` or "
                   "`crm eval --script`");
  }
  if (customer && context.customers == nullptr) {
    return invalid(name(builtin) + " reads the customer's activity, but no customer is "
                   "selected; `crm eval` takes one with --customer KEY");
  }
  return Value::null();
}

Value requireKind(Builtin builtin, const Value& value, size_t position, ValueKind kind) {
  if (value.is(kind)) return Value::null();
  return invalid("argument " + std::to_string(position) + " of " + name(builtin) + " must be " +
                 runtime::valueKindName(kind) + ", not " + runtime::valueKindName(value.kind()));
}

Value requireWindow(Builtin builtin, const Value& window) {
  Value wrong = requireKind(builtin, window, 1, ValueKind::Duration);
  if (wrong.isError()) return wrong;
  if (window.asInt() < 0) {
    return invalid("the window of " + name(builtin) + " must not be negative, not " +
                   runtime::formatDuration(window.asInt()));
  }
  return Value::null();
}

Value requireCount(Builtin builtin, const Value& count, const char* what) {
  std::string role = std::string("the ") + what + " of " + name(builtin);
  if (!count.is(ValueKind::Int)) return invalid(role + " must be an int");
  if (count.asInt() < 0) {
    return invalid(role + " must be 0 or more, not " + std::to_string(count.asInt()));
  }
  return Value::null();
}

// The index of the level named by `level`, or -1 with `error` set.
int levelOf(Builtin builtin, const Hierarchy& hierarchy, const Value& level, Value& error) {
  if (!level.is(ValueKind::String)) {
    error = invalid("the level of " + name(builtin) + " must be a string");
    return -1;
  }
  int index = hierarchy.levelIndex(level.asString());
  if (index < 0) {
    std::string levels;
    for (const auto& known : hierarchy.levels()) levels += (levels.empty() ? "" : ", ") + known;
    error = invalid("'" + std::string(level.asString()) + "' is not a level of the catalog" +
                    (levels.empty() ? " (it declares none)" : "; the levels are " + levels));
  }
  return index;
}

Value productList(const runtime::Table& catalog, const std::vector<uint32_t>& rows) {
  std::vector<Value> items;
  items.reserve(rows.size());
  for (uint32_t row : rows) items.push_back(Value::row(&catalog, row));
  return Value::list(std::move(items));
}

// The catalog row of a product value, or -1 for anything else, such as a
// reference whose key matched no row.
int64_t catalogRow(const Value& value, const runtime::Table& catalog) {
  if (!value.is(ValueKind::Row) || value.isUnresolvedRow() || value.table() != &catalog) return -1;
  return value.rowIndex();
}

bool inWindow(int64_t at, int64_t now, int64_t window) { return at <= now && at >= now - window; }

// ------------------------------------------------------------ favourite

struct Weights {
  double purchase = 10;
  double cart = 3;
  double view = 1;
};

// Reads a weights map: keys purchase, cart and view; a key left out weighs 0.
Value readWeights(const Value& map, Weights& weights) {
  if (!map.is(ValueKind::Map)) return invalid("the weights of `favourite` must be a map");
  weights = Weights{0, 0, 0};
  for (const auto& [key, value] : map.asMap().entries) {
    double number = value.is(ValueKind::Int) ? static_cast<double>(value.asInt())
                    : value.is(ValueKind::Double) ? value.asDouble()
                                                  : -1;
    if (!(number >= 0) || std::isinf(number)) {
      return invalid("the weight of '" + runtime::displayText(key) +
                     "' in `favourite` must be a finite number of 0 or more, not " +
                     runtime::displayText(value));
    }
    std::string_view text = key.is(ValueKind::String) ? key.asString() : std::string_view();
    if (text == "purchase") weights.purchase = number;
    else if (text == "cart") weights.cart = number;
    else if (text == "view") weights.view = number;
    else {
      return invalid("`favourite` weighs 'purchase', 'cart' and 'view', not '" +
                     runtime::displayText(key) + "'");
    }
  }
  return Value::null();
}

// The node of the level with the highest decayed, weighted activity in
// the window. An activity of age a counts weight * 0.5^(a / (window / 2)).
Value favourite(Builtin builtin, const Value* arguments, size_t count,
                const BuiltinContext& context) {
  Value missing = requireData(builtin, context, true);
  if (missing.isError()) return missing;
  const Hierarchy& tree = recs::hierarchy(*context.store, *context.activity);
  Value error;
  int level = levelOf(builtin, tree, arguments[0], error);
  if (level < 0) return error;
  Value wrong = requireWindow(builtin, arguments[1]);
  if (wrong.isError()) return wrong;
  Weights weights;
  if (count == 3) {
    Value bad = readWeights(arguments[2], weights);
    if (bad.isError()) return bad;
  }
  const int64_t now = context.now;
  const int64_t window = arguments[1].asInt();
  const double halfLife = static_cast<double>(window) / 2;
  std::unordered_map<uint32_t, double> scores;
  recs::forEachActivity(*context.store, *context.activity, context.customer,
                        [&](const recs::Activity& activity) {
    if (!inWindow(activity.at, now, window)) return;
    uint32_t node = tree.nodeOf(static_cast<size_t>(level), activity.product);
    if (node == Hierarchy::kNone) return;
    double weight = activity.kind == ActivityKind::Purchase ? weights.purchase
                    : activity.kind == ActivityKind::Cart   ? weights.cart
                                                            : weights.view;
    double age = static_cast<double>(now - activity.at);
    double decay = halfLife > 0 ? std::exp2(-age / halfLife) : 1.0;
    scores[node] += weight * decay;
  });
  std::string_view best;
  double bestScore = 0;
  for (const auto& [node, score] : scores) {
    std::string_view text = tree.nodeName(static_cast<size_t>(level), node);
    if (score > bestScore || (score == bestScore && score > 0 && text < best)) {
      best = text;
      bestScore = score;
    }
  }
  if (bestScore <= 0) return Value::null();
  return Value::stringView(best);
}

// ------------------------------------------------------------ history lists

// The customer's distinct products of one kind in the window, most recent
// first; equal times go to the smaller key.
Value history(Builtin builtin, const Value* arguments, const BuiltinContext& context) {
  Value missing = requireData(builtin, context, true);
  if (missing.isError()) return missing;
  Value wrong = requireWindow(builtin, arguments[0]);
  if (wrong.isError()) return wrong;
  ActivityKind kind = builtin == Builtin::Purchased ? ActivityKind::Purchase
                      : builtin == Builtin::Viewed  ? ActivityKind::View
                                                    : ActivityKind::Cart;
  const int64_t window = arguments[0].asInt();
  std::unordered_map<uint32_t, int64_t> latest;
  recs::forEachActivity(*context.store, *context.activity, context.customer,
                        [&](const recs::Activity& activity) {
    if (activity.kind != kind || !inWindow(activity.at, context.now, window)) return;
    auto [it, inserted] = latest.emplace(activity.product, activity.at);
    if (!inserted) it->second = std::max(it->second, activity.at);
  });
  const runtime::Table& catalog = *context.store->catalog;
  std::vector<std::pair<uint32_t, int64_t>> products(latest.begin(), latest.end());
  std::sort(products.begin(), products.end(), [&](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;
    return catalog.keyText(a.first) < catalog.keyText(b.first);
  });
  std::vector<uint32_t> rows;
  rows.reserve(products.size());
  for (const auto& entry : products) rows.push_back(entry.first);
  return productList(catalog, rows);
}

// ------------------------------------------------------------ popular

Value popular(Builtin builtin, const Value* arguments, size_t count,
              const BuiltinContext& context) {
  Value missing = requireData(builtin, context, false);
  if (missing.isError()) return missing;
  Value wrong = requireWindow(builtin, arguments[0]);
  if (wrong.isError()) return wrong;
  const runtime::Store& store = *context.store;
  const int64_t window = arguments[0].asInt();
  if (count == 1 || arguments[2].isNull()) {
    if (count == 3) {
      Value error;
      if (levelOf(builtin, recs::hierarchy(store, *context.activity), arguments[1], error) < 0) {
        return error;
      }
    }
    std::string key = "popular list " + std::to_string(context.now) + " " + std::to_string(window);
    auto list = store.derived(key, [&]() -> std::shared_ptr<const void> {
      auto ranking = recs::popularity(store, *context.activity, context.now, window);
      return std::make_shared<const Value>(productList(*store.catalog, ranking->ranked));
    });
    return *std::static_pointer_cast<const Value>(list);
  }
  const Hierarchy& tree = recs::hierarchy(store, *context.activity);
  Value error;
  int level = levelOf(builtin, tree, arguments[1], error);
  if (level < 0) return error;
  if (!arguments[2].is(ValueKind::String)) return invalid("the node of `popular` must be a string");
  std::string node(arguments[2].asString());
  std::string key = "popular list " + std::to_string(context.now) + " " + std::to_string(window) +
                    " " + std::to_string(level) + " " + node;
  auto list = store.derived(key, [&]() -> std::shared_ptr<const void> {
    auto ranking = recs::popularity(store, *context.activity, context.now, window);
    uint32_t id = tree.findNode(static_cast<size_t>(level), node);
    std::vector<uint32_t> rows;
    for (uint32_t row : ranking->ranked) {
      if (id != Hierarchy::kNone && tree.nodeOf(static_cast<size_t>(level), row) == id) {
        rows.push_back(row);
      }
    }
    return std::make_shared<const Value>(productList(*store.catalog, rows));
  });
  return *std::static_pointer_cast<const Value>(list);
}

// ------------------------------------------------------------ bought_together

// The catalog rows of a product or a list of products, leaving out those
// missing from the catalog.
std::vector<uint32_t> catalogRows(const Value& products, const runtime::Table& catalog) {
  std::vector<uint32_t> rows;
  if (!products.is(ValueKind::List)) {
    int64_t row = catalogRow(products, catalog);
    if (row >= 0) rows.push_back(static_cast<uint32_t>(row));
    return rows;
  }
  for (size_t i = 0; i < products.listSize(); ++i) {
    int64_t row = catalogRow(products.listAt(i), catalog);
    if (row >= 0) rows.push_back(static_cast<uint32_t>(row));
  }
  return rows;
}

// The k products with the highest summed cosine to the input products,
// leaving the inputs out; ties go to the more popular product.
Value boughtTogether(Builtin builtin, const Value* arguments, const BuiltinContext& context) {
  Value missing = requireData(builtin, context, false);
  if (missing.isError()) return missing;
  Value wrong = requireCount(builtin, arguments[1], "count");
  if (wrong.isError()) return wrong;
  const runtime::Table& catalog = *context.store->catalog;
  std::vector<uint32_t> inputs = catalogRows(arguments[0], catalog);

  auto index = recs::coPurchases(*context.store, *context.activity, context.now);
  auto ranking = recs::popularity(*context.store, *context.activity, context.now, -1);
  std::vector<std::pair<uint32_t, double>> scores;
  for (uint32_t product : inputs) {
    for (const recs::Neighbour& neighbour : index->neighbours[product]) {
      scores.emplace_back(neighbour.product, neighbour.score);
    }
  }
  // Sums the scores of each candidate, in the order of `inputs`.
  std::stable_sort(scores.begin(), scores.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<uint32_t, double>> ranked;
  for (const auto& [product, score] : scores) {
    if (!ranked.empty() && ranked.back().first == product) {
      ranked.back().second += score;
    } else {
      ranked.emplace_back(product, score);
    }
  }
  std::sort(inputs.begin(), inputs.end());
  std::erase_if(ranked, [&](const auto& entry) {
    return std::binary_search(inputs.begin(), inputs.end(), entry.first);
  });

  std::sort(ranked.begin(), ranked.end(), [&](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;
    return ranking->position[a.first] < ranking->position[b.first];
  });
  auto k = static_cast<size_t>(arguments[1].asInt());
  std::vector<uint32_t> rows;
  for (size_t i = 0; i < ranked.size() && i < k; ++i) rows.push_back(ranked[i].first);
  return productList(catalog, rows);
}

// ------------------------------------------------------------ similar

// The products of a node by popularity over all purchases up to `now`,
// sorted once per run and shared.
std::shared_ptr<const std::vector<uint32_t>> nodeByPopularity(const runtime::Store& store,
                                                              const Hierarchy& tree,
                                                              const recs::Popularity& ranking,
                                                              int64_t now, size_t level,
                                                              uint32_t node) {
  std::string key = "node by popularity " + std::to_string(now) + " " + std::to_string(level) +
                    " " + std::to_string(node);
  auto sorted = store.derived(key, [&]() -> std::shared_ptr<const void> {
    auto rows = std::make_shared<std::vector<uint32_t>>(tree.productsOf(level, node));
    std::sort(rows->begin(), rows->end(), [&](uint32_t a, uint32_t b) {
      return ranking.position[a] < ranking.position[b];
    });
    return rows;
  });
  return std::static_pointer_cast<const std::vector<uint32_t>>(sorted);
}

// Products of the product's narrowest node, then of that node's parent, and
// so on up, each group by popularity; the product itself is left out.
Value similar(Builtin builtin, const Value* arguments, const BuiltinContext& context) {
  Value missing = requireData(builtin, context, false);
  if (missing.isError()) return missing;
  Value wrong = requireCount(builtin, arguments[1], "count");
  if (wrong.isError()) return wrong;
  const runtime::Table& catalog = *context.store->catalog;
  int64_t product = catalogRow(arguments[0], catalog);
  auto k = static_cast<size_t>(arguments[1].asInt());
  if (product < 0 || k == 0) return Value::list({});
  const Hierarchy& tree = recs::hierarchy(*context.store, *context.activity);
  auto ranking = recs::popularity(*context.store, *context.activity, context.now, -1);

  // The narrowest level where the product has a node.
  int level = static_cast<int>(tree.levels().size()) - 1;
  uint32_t node = Hierarchy::kNone;
  for (; level >= 0; --level) {
    node = tree.nodeOf(static_cast<size_t>(level), static_cast<uint32_t>(product));
    if (node != Hierarchy::kNone) break;
  }
  std::vector<uint32_t> chosen{static_cast<uint32_t>(product)};
  for (; level >= 0 && node != Hierarchy::kNone && chosen.size() <= k; --level) {
    auto group = nodeByPopularity(*context.store, tree, *ranking, context.now,
                                  static_cast<size_t>(level), node);
    for (size_t i = 0; i < group->size() && chosen.size() <= k; ++i) {
      uint32_t row = (*group)[i];
      if (std::find(chosen.begin(), chosen.end(), row) == chosen.end()) chosen.push_back(row);
    }
    node = tree.parentOf(static_cast<size_t>(level), node);
  }
  chosen.erase(chosen.begin());
  return productList(catalog, chosen);
}

// ------------------------------------------------------------ list operations

// The first k elements, with at most `per` of each node of the level;
// elements without a node at the level share one group.
Value diverse(Builtin builtin, const Value* arguments, const BuiltinContext& context) {
  const Value& list = arguments[0];
  if (!list.is(ValueKind::List)) return invalid("`diverse` applies to a list");
  Value wrong = requireCount(builtin, arguments[1], "count");
  if (wrong.isError()) return wrong;
  if (!arguments[3].is(ValueKind::Int) || arguments[3].asInt() < 1) {
    return invalid("the `per` count of `diverse` must be 1 or more, not " +
                   runtime::displayText(arguments[3]));
  }
  Value missing = requireData(builtin, context, false);
  if (missing.isError()) return missing;
  const Hierarchy& tree = recs::hierarchy(*context.store, *context.activity);
  Value error;
  int level = levelOf(builtin, tree, arguments[2], error);
  if (level < 0) return error;
  const runtime::Table& catalog = *context.store->catalog;
  auto k = static_cast<size_t>(arguments[1].asInt());
  auto per = static_cast<size_t>(arguments[3].asInt());
  std::unordered_map<uint32_t, size_t> perNode;
  std::vector<Value> diverseItems;
  for (size_t i = 0; i < list.listSize() && diverseItems.size() < k; ++i) {
    Value item = list.listAt(i);
    int64_t row = catalogRow(item, catalog);
    uint32_t node = row < 0 ? Hierarchy::kNone
                            : tree.nodeOf(static_cast<size_t>(level), static_cast<uint32_t>(row));
    if (perNode[node]++ >= per) continue;
    diverseItems.push_back(std::move(item));
  }
  return Value::list(std::move(diverseItems));
}

Value take(Builtin builtin, const Value* arguments) {
  if (!arguments[0].is(ValueKind::List)) return invalid("`take` applies to a list");
  Value wrong = requireCount(builtin, arguments[1], "count");
  if (wrong.isError()) return wrong;
  size_t k = std::min(arguments[0].listSize(), static_cast<size_t>(arguments[1].asInt()));
  if (k == arguments[0].listSize()) return arguments[0];
  std::vector<Value> items;
  items.reserve(k);
  for (size_t i = 0; i < k; ++i) items.push_back(arguments[0].listAt(i));
  return Value::list(std::move(items));
}

Value fallback(const Value* arguments) {
  if (!arguments[0].is(ValueKind::List) || !arguments[1].is(ValueKind::List)) {
    return invalid("`fallback` takes two lists");
  }
  return arguments[0].listSize() > 0 ? arguments[0] : arguments[1];
}

size_t arityOf(Builtin builtin) {
  switch (builtin) {
    case Builtin::Purchased:
    case Builtin::Viewed:
    case Builtin::Carted:
    case Builtin::Popular:
      return 1;
    case Builtin::FavouriteWeightsInt:
    case Builtin::FavouriteWeightsDouble:
    case Builtin::PopularWithin:
    case Builtin::PopularWithinOptional:
      return 3;
    case Builtin::ListDiverse:
      return 4;
    default:
      return 2;
  }
}

}  // namespace

bool isRecommendationBuiltin(Builtin builtin) {
  return builtin >= Builtin::Favourite && builtin <= Builtin::ListTake;
}

Value callRecommendation(Builtin builtin, const Value* arguments, size_t count,
                         const BuiltinContext& context) {
  for (size_t i = 0; i < count; ++i) {
    if (arguments[i].isError()) return arguments[i];
  }
  if (count != arityOf(builtin)) {
    return invalid(name(builtin) + " expects " + std::to_string(arityOf(builtin)) +
                   " arguments, got " + std::to_string(count));
  }
  switch (builtin) {
    case Builtin::Favourite:
    case Builtin::FavouriteWeightsInt:
    case Builtin::FavouriteWeightsDouble:
      return favourite(builtin, arguments, count, context);
    case Builtin::Purchased:
    case Builtin::Viewed:
    case Builtin::Carted:
      return history(builtin, arguments, context);
    case Builtin::Popular:
    case Builtin::PopularWithin:
    case Builtin::PopularWithinOptional:
      return popular(builtin, arguments, count, context);
    case Builtin::BoughtTogetherList:
    case Builtin::BoughtTogetherProduct:
      return boughtTogether(builtin, arguments, context);
    case Builtin::Similar:
      return similar(builtin, arguments, context);
    case Builtin::ListDiverse:
      return diverse(builtin, arguments, context);
    case Builtin::ListTake:
      return take(builtin, arguments);
    default:
      return fallback(arguments);
  }
}

}  // namespace crm::stdlib
