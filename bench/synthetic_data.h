// Deterministic synthetic CRM records for the ingest and evaluation
// benchmarks: a product catalog and customers with orders, order lines and
// behavioural events.
// Each customer is a function of the seed and its index alone, so the same
// arguments always produce the same records on every platform.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crm::bench {

// SplitMix64: a counter advanced by a fixed odd constant and passed through
// a mixing function. The distributions of <random> are not used because
// their output differs between standard libraries.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t next();
  // Uniform in [0, bound) for bound > 0, with a modulo bias below 2^-32
  // for the small bounds used here.
  uint64_t below(uint64_t bound) { return next() % bound; }
  // True with the given probability in percent.
  bool percent(unsigned probability) { return below(100) < probability; }

 private:
  uint64_t state_;
};

// The size and seed of a data set.
struct Shape {
  uint64_t customers = 1000;
  unsigned ordersPerCustomer = 10;
  unsigned maxLinesPerOrder = 5;        // each order has 1 to this many lines
  unsigned meanEventsPerCustomer = 10;  // each customer has 0 to twice this many
  uint32_t products = 10000;
  // 2: department > category; 3 adds a subcategory under each category.
  unsigned catalogLevels = 2;
  uint64_t seed = 1;
};

struct Product {
  std::string id;
  std::string name;
  std::string_view department;
  std::string_view category;
  std::optional<std::string_view> subcategory;  // with three catalog levels only
  std::optional<std::string_view> brand;
  int64_t priceCents = 0;
};

struct OrderLine {
  unsigned lineNumber = 0;
  uint32_t product = 0;  // index into the catalog
  unsigned quantity = 0;
  int64_t unitPriceCents = 0;
  std::optional<int64_t> discountCents;
};

struct Order {
  std::string id;
  int64_t orderedAt = 0;  // seconds since 1970-01-01T00:00:00Z
  unsigned channel = 0;   // index into kChannels
  unsigned status = 0;    // index into kOrderStatuses
  int64_t totalCents = 0;
  std::optional<std::string_view> couponCode;
  std::vector<OrderLine> lines;
};

struct Event {
  std::string id;
  unsigned kind = 0;  // index into kEventKinds
  int64_t at = 0;     // seconds since 1970-01-01T00:00:00Z
  std::optional<uint32_t> product;
  std::optional<std::string_view> device;
};

struct Customer {
  std::string id;
  std::optional<std::string> email;
  std::string_view firstName;
  std::string_view lastName;
  std::optional<std::string_view> gender;
  std::optional<int64_t> birthDate;  // days since 1970-01-01
  std::optional<std::string_view> city;
  std::optional<std::string> postalCode;
  int64_t signupAt = 0;  // seconds since 1970-01-01T00:00:00Z
  unsigned tier = 0;     // index into kTiers
  bool marketingOptIn = false;
  std::vector<Order> orders;
  std::vector<Event> events;
};

// Enum value names, in the order the generated schema declares them.
inline constexpr std::array<std::string_view, 4> kTiers = {"bronze", "silver", "gold", "platinum"};
inline constexpr std::array<std::string_view, 4> kChannels = {"web", "app", "store", "phone"};
inline constexpr std::array<std::string_view, 5> kOrderStatuses = {"placed", "shipped", "delivered",
                                                                   "returned", "cancelled"};
inline constexpr std::array<std::string_view, 6> kEventKinds = {
    "page_view", "product_view", "add_to_cart", "search", "email_open", "email_click"};

std::vector<Product> makeCatalog(const Shape& shape);

// Fills `customer` (reusing its vectors) with the customer at `index`.
void makeCustomer(const Shape& shape, const std::vector<Product>& catalog, uint64_t index,
                  Customer& customer);

}  // namespace crm::bench
