// The counts a report shows, computed from a run's decisions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/lower/ir.h"
#include "report/charts.h"
#include "run/run.h"
#include "runtime/store.h"

namespace crm::report {

// The products and categories that one campaign's messages offered.
struct OfferTally {
  std::string campaign;
  uint64_t messages = 0;      // messages of the campaign
  uint64_t offeredItems = 0;  // product keys over all its messages
  size_t distinctProducts = 0;
  size_t distinctCategories = 0;
  Grid products;    // the most offered products, most first
  Grid categories;  // the same by the catalog's top level; empty without one
};

struct Tally {
  Grid segments;                  // segment × "members"
  Grid decisions;                 // campaign × channel: messages
  std::vector<uint64_t> dropped;  // per campaign: candidates dropped
  Grid suppressions;              // campaign × reason: candidates dropped
  Grid messagesPerCustomer;       // number of messages × "customers"
  std::vector<CapacityUse> capacity;
  std::vector<OfferTally> offers;  // campaigns with an offer, in declaration order
  Grid errors;                     // rule × "errors"
};

// Counts the decisions of `result`. `categoryLevel` is the field of the
// catalog's broadest level, or empty; `top` limits the products and
// categories listed per campaign.
Tally tallyRun(const ir::Program& program, const runtime::Store& store,
               const run::RunResult& result, const std::string& categoryLevel, size_t top);

// The reason a dropped candidate is counted under: the output's reason,
// with `error: MESSAGE` as `error` and `no capacity` split by channel as
// `no capacity on CHANNEL`.
std::string dropCategory(const run::Decision& decision);

}  // namespace crm::report
