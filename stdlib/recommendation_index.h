// The per-run indexes of the recommendation functions, built from the whole
// store on first use and shared by every thread through Store::derived:
// the catalog hierarchy, the popularity ranking of a window, and the
// co-purchase neighbours of each product.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/activity.h"
#include "runtime/hierarchy.h"
#include "runtime/store.h"

namespace crm::stdlib::recs {

// One activity of a customer with the catalog.
struct Activity {
  runtime::ActivityKind kind;
  uint32_t product;  // catalog row
  int64_t at;        // microseconds since the epoch
};

// Calls `visit` for each activity of customer `row` in list order: the
// purchase lists first, then the events. Elements whose product is missing
// from the catalog, or whose time is null, are skipped, and so are events
// of another type than view, cart or purchase.
void forEachActivity(const runtime::Store& store, const runtime::ActivitySchema& schema,
                     uint32_t row, const std::function<void(const Activity&)>& visit);

struct Popularity {
  // Catalog rows with at least one buyer, most buyers first; ties go to the
  // smaller key.
  std::vector<uint32_t> ranked;
  // Per catalog row: its place in `ranked`, then the rows without buyers by
  // key, so that sorting by it orders any set of products by popularity.
  std::vector<uint32_t> position;
};

struct Neighbour {
  uint32_t product;
  double score;  // cosine: baskets with both / sqrt(baskets with each)
};

struct CoPurchases {
  // Per catalog row, best first, at most kMaxNeighbours.
  std::vector<std::vector<Neighbour>> neighbours;
};

const runtime::Hierarchy& hierarchy(const runtime::Store& store,
                                    const runtime::ActivitySchema& schema);

// Buyers per product over purchases at or before `now` and not before
// `now - window`; a negative window means no lower bound.
std::shared_ptr<const Popularity> popularity(const runtime::Store& store,
                                             const runtime::ActivitySchema& schema, int64_t now,
                                             int64_t window);

// Products bought together in the baskets at or before `now`.
std::shared_ptr<const CoPurchases> coPurchases(const runtime::Store& store,
                                               const runtime::ActivitySchema& schema,
                                               int64_t now);

// Baskets with more distinct products than this add no pairs, which keeps
// the pair count linear in the data for a few huge baskets.
inline constexpr size_t kMaxBasketProducts = 200;

// Each product keeps its best partners only, so that a call sums a few
// short lists however many baskets a product is in.
inline constexpr size_t kMaxNeighbours = 100;

}  // namespace crm::stdlib::recs
