#include "report/tally.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace crm::report {
namespace {

const char* periodName(ir::Period period) {
  switch (period) {
    case ir::Period::Hour:
      return "hour";
    case ir::Period::Day:
      return "day";
    case ir::Period::Week:
      return "week";
    case ir::Period::Month:
      return "month";
  }
  return "day";
}

Grid makeGrid(std::string id, std::string title, std::string labelHeading,
              std::vector<std::string> series) {
  Grid grid;
  grid.id = std::move(id);
  grid.title = std::move(title);
  grid.labelHeading = std::move(labelHeading);
  grid.series = std::move(series);
  return grid;
}

Grid segmentGrid(const ir::Program& program, const run::RunResult& result) {
  Grid grid = makeGrid("segments", "Members per segment", "segment", {"members"});
  auto segments = program.segments();
  for (size_t i = 0; i < segments.size(); ++i) {
    size_t row = grid.addRow(program.declarations[segments[i]].name);
    grid.values[row][0] = i < result.segmentMembers.size() ? result.segmentMembers[i] : 0;
  }
  return grid;
}

Grid decisionGrid(const ir::Program& program, const run::RunResult& result) {
  std::vector<std::string> channels;
  for (const auto& channel : program.channels)
    channels.push_back(channel.name);
  Grid grid = makeGrid("decisions", "Messages per campaign and channel", "campaign", channels);
  for (size_t c = 0; c < program.campaigns.size(); ++c) {
    size_t row = grid.addRow(program.campaigns[c].name);
    if (c >= result.sendsByChannel.size())
      continue;
    for (const auto& [channel, count] : result.sendsByChannel[c]) {
      if (channel >= 0 && static_cast<size_t>(channel) < channels.size()) {
        grid.values[row][channel] = count;
      }
    }
  }
  return grid;
}

// The order of the reasons: as a candidate meets them in a run, then any
// other reason by name.
int reasonOrder(const std::string& reason) {
  if (reason == "no offer")
    return 0;
  if (reason == "no reachable channel")
    return 1;
  if (reason == "quiet hours")
    return 2;
  if (reason.rfind("no capacity", 0) == 0)
    return 3;
  if (reason.rfind("capped by ", 0) == 0)
    return 4;
  if (reason == "error")
    return 5;
  return 6;
}

Grid suppressionGrid(const ir::Program& program, const run::RunResult& result,
                     std::vector<uint64_t>& dropped) {
  std::map<std::pair<uint32_t, std::string>, uint64_t> counts;
  std::set<std::string> reasons;
  dropped.assign(program.campaigns.size(), 0);
  for (const auto& decision : result.decisions) {
    if (decision.channel >= 0 || decision.campaign >= program.campaigns.size())
      continue;
    std::string reason = dropCategory(decision);
    ++counts[{decision.campaign, reason}];
    ++dropped[decision.campaign];
    reasons.insert(reason);
  }
  // Capped reasons follow the order of the rules in the script.
  std::map<std::string, size_t> capOrder;
  for (size_t i = 0; i < program.caps.size(); ++i) {
    capOrder.emplace("capped by `" + program.caps[i].text + "`", i);
  }
  std::map<std::string, size_t> channelOrder;
  for (size_t i = 0; i < program.channels.size(); ++i) {
    channelOrder.emplace("no capacity on " + program.channels[i].name, i);
  }
  std::vector<std::string> series(reasons.begin(), reasons.end());
  auto within = [&](const std::string& reason) {
    if (auto it = capOrder.find(reason); it != capOrder.end())
      return it->second;
    if (auto it = channelOrder.find(reason); it != channelOrder.end())
      return it->second;
    return SIZE_MAX;
  };
  std::stable_sort(series.begin(), series.end(), [&](const auto& a, const auto& b) {
    int x = reasonOrder(a);
    int y = reasonOrder(b);
    if (x != y)
      return x < y;
    return within(a) < within(b);
  });
  Grid grid =
      makeGrid("suppressions", "Dropped candidates per campaign and reason", "campaign", series);
  for (size_t c = 0; c < program.campaigns.size(); ++c) {
    size_t row = grid.addRow(program.campaigns[c].name);
    for (size_t s = 0; s < series.size(); ++s) {
      auto it = counts.find({static_cast<uint32_t>(c), series[s]});
      if (it != counts.end())
        grid.values[row][s] = it->second;
    }
  }
  return grid;
}

Grid messagesPerCustomerGrid(const run::RunResult& result) {
  std::unordered_map<uint32_t, uint64_t> perCustomer;
  for (const auto& decision : result.decisions) {
    if (decision.channel >= 0)
      ++perCustomer[decision.customer];
  }
  std::map<uint64_t, uint64_t> histogram;
  histogram[0] = result.customers >= perCustomer.size() ? result.customers - perCustomer.size() : 0;
  for (const auto& [customer, messages] : perCustomer)
    ++histogram[messages];
  Grid grid = makeGrid("messages-per-customer", "Customers by number of messages", "messages",
                       {"customers"});
  uint64_t maxMessages = histogram.rbegin()->first;
  for (uint64_t n = 0; n <= maxMessages; ++n) {
    size_t row = grid.addRow(std::to_string(n));
    auto it = histogram.find(n);
    if (it != histogram.end())
      grid.values[row][0] = it->second;
  }
  return grid;
}

std::vector<CapacityUse> capacityUse(const ir::Program& program, const run::RunResult& result) {
  std::vector<CapacityUse> channels;
  for (size_t i = 0; i < program.channels.size(); ++i) {
    const ir::Channel& channel = program.channels[i];
    CapacityUse use;
    use.channel = channel.name;
    use.granted = i < result.channelSends.size() ? result.channelSends[i] : 0;
    use.capacity = channel.capacity;
    use.period = periodName(channel.capacityPeriod);
    channels.push_back(std::move(use));
  }
  return channels;
}

// The text of a category cell. The checker makes every level a string
// field (E0115); it may be optional.
std::string categoryText(const runtime::Column& column, uint32_t row) {
  if (column.isNull(row)) {
    return "(none)";
  }
  return std::string(column.pool.text(column.strings[row]));
}

// The counts sorted by count, most first, then by name; at most `top`.
Grid topGrid(std::string id, std::string title, std::string labelHeading,
             const std::unordered_map<std::string, uint64_t>& counts, size_t top) {
  std::vector<std::pair<std::string, uint64_t>> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (sorted.size() > top)
    sorted.resize(top);
  Grid grid = makeGrid(std::move(id), std::move(title), std::move(labelHeading), {"messages"});
  for (auto& [label, count] : sorted) {
    size_t row = grid.addRow(label);
    grid.values[row][0] = count;
  }
  return grid;
}

// The category of every offered product key, read from the catalog once.
std::unordered_map<std::string, std::string> categoriesOf(
    const runtime::Table& catalog, const runtime::Column& level,
    const std::unordered_set<std::string>& keys) {
  std::unordered_map<std::string, std::string> categories;
  for (uint32_t row = 0; row < catalog.rowCount && categories.size() < keys.size(); ++row) {
    std::string key = catalog.keyText(row);
    if (keys.count(key) != 0) {
      categories.emplace(std::move(key), categoryText(level, row));
    }
  }
  return categories;
}

void tallyOffers(const ir::Program& program, const runtime::Store& store,
                 const run::RunResult& result, const std::string& categoryLevel, size_t top,
                 Tally& tally) {
  std::vector<std::unordered_map<std::string, uint64_t>> products(program.campaigns.size());
  std::vector<OfferTally> offers(program.campaigns.size());
  std::unordered_set<std::string> keys;
  for (const auto& decision : result.decisions) {
    if (decision.channel < 0 || decision.campaign >= program.campaigns.size())
      continue;
    OfferTally& offer = offers[decision.campaign];
    ++offer.messages;
    for (const auto& key : decision.offer) {
      ++products[decision.campaign][key];
      ++offer.offeredItems;
      keys.insert(key);
    }
  }

  const runtime::Table* catalog =
      program.catalogEntity.empty() ? nullptr : store.table(program.catalogEntity);
  const runtime::Column* level =
      catalog != nullptr && !categoryLevel.empty() ? catalog->column(categoryLevel) : nullptr;
  if (level != nullptr && level->kind != runtime::ColumnKind::String) {
    level = nullptr;
  }
  std::unordered_map<std::string, std::string> categoryOf;
  if (level != nullptr && !keys.empty()) {
    categoryOf = categoriesOf(*catalog, *level, keys);
  }

  for (size_t c = 0; c < program.campaigns.size(); ++c) {
    if (program.campaigns[c].offer == nullptr)
      continue;
    const std::string& name = program.campaigns[c].name;
    OfferTally& offer = offers[c];
    offer.campaign = name;
    offer.distinctProducts = products[c].size();
    offer.products = topGrid("products-" + name, "Most offered products of " + name, "product",
                             products[c], top);
    if (level != nullptr) {
      std::unordered_map<std::string, uint64_t> categories;
      for (const auto& [key, count] : products[c]) {
        auto it = categoryOf.find(key);
        // A key that matches no catalog row (the offer came from elsewhere).
        categories[it != categoryOf.end() ? it->second : "(not in the catalog)"] += count;
      }
      offer.distinctCategories = categories.size();
      offer.categories =
          topGrid("categories-" + name, "Most offered " + categoryLevel + " of " + name,
                  categoryLevel, categories, top);
    }
    tally.offers.push_back(std::move(offer));
  }
}

}  // namespace

std::string dropCategory(const run::Decision& decision) {
  if (decision.reason.rfind("error: ", 0) == 0)
    return "error";
  if (decision.reason == "no capacity") {
    const std::string prefix = "capacity of ";
    if (decision.rule.rfind(prefix, 0) == 0) {
      return "no capacity on " + decision.rule.substr(prefix.size());
    }
  }
  return decision.reason;
}

Tally tallyRun(const ir::Program& program, const runtime::Store& store,
               const run::RunResult& result, const std::string& categoryLevel, size_t top) {
  Tally tally;
  tally.segments = segmentGrid(program, result);
  tally.decisions = decisionGrid(program, result);
  tally.suppressions = suppressionGrid(program, result, tally.dropped);
  tally.messagesPerCustomer = messagesPerCustomerGrid(result);
  tally.capacity = capacityUse(program, result);
  tallyOffers(program, store, result, categoryLevel, top, tally);
  tally.errors = makeGrid("errors", "Run-time errors per rule", "rule", {"errors"});
  for (const auto& [rule, count] : result.errorsByRule) {
    size_t row = tally.errors.addRow(rule);
    tally.errors.values[row][0] = count;
  }
  return tally;
}

}  // namespace crm::report
