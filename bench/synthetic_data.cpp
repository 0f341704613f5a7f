#include "bench/synthetic_data.h"

#include <algorithm>
#include <cstdio>

namespace crm::bench {
namespace {

// The finaliser of SplitMix64: a bijection that spreads nearby inputs apart.
uint64_t mix(uint64_t value) {
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

template <typename T, size_t N>
const T& pick(Random& random, const std::array<T, N>& values) {
  return values[random.below(N)];
}

// Picks an index with the given weights, which need not add up to 100.
template <size_t N>
unsigned pickWeighted(Random& random, const std::array<unsigned, N>& weights) {
  unsigned total = 0;
  for (unsigned weight : weights)
    total += weight;
  uint64_t roll = random.below(total);
  for (unsigned i = 0; i < N; ++i) {
    if (roll < weights[i]) return i;
    roll -= weights[i];
  }
  return N - 1;
}

// Time ranges, in seconds since 1970-01-01T00:00:00Z.
constexpr int64_t k2019 = 1546300800;      // 2019-01-01
constexpr int64_t kJuly2024 = 1719792000;  // 2024-07-01
constexpr int64_t kJuly2025 = 1751328000;  // 2025-07-01, the end of the data
// Birth dates, in days since 1970-01-01.
constexpr int64_t kBorn1940 = -10958;  // 1940-01-01
constexpr int64_t kBorn2007 = 13514;   // 2007-01-01

struct Department {
  std::string_view name;
  std::array<std::string_view, 3> categories;
  std::array<std::string_view, 5> nouns;
  // Per category, the subcategories of a three-level catalog.
  std::array<std::array<std::string_view, 3>, 3> subcategories;
};

// Some names contain a comma, a double quote or non-ASCII letters, so that
// the CSV files need quoting and the loader meets UTF-8 text.
constexpr std::array<Department, 5> kDepartments = {{
    {"Grocery",
     {"Dairy", "Bakery", "Beverages"},
     {"Oat Milk", "Sourdough Bread", "Espresso Beans", "Greek Yogurt", "Crème Fraîche"},
     {{{"Milk", "Cheese", "Yogurt"}, {"Bread", "Pastries", "Cakes"}, {"Coffee", "Tea", "Juice"}}}},
    {"Home",
     {"Kitchen", "Cleaning", "Bedding"},
     {"Chef's Knife", "Dish Soap", "Linen Sheets", "Pizza Stone 12\"", "Glass Jar"},
     {{{"Cookware", "Knives", "Storage"},
       {"Detergents", "Sponges", "Brushes"},
       {"Sheets", "Pillows", "Duvets"}}}},
    {"Beauty",
     {"Skin care", "Hair care", "Fragrance"},
     {"Face Cream", "Shampoo", "Eau de Parfum", "Lip Balm", "Hand Lotion"},
     {{{"Moisturisers", "Cleansers", "Sun care"},
       {"Shampoos", "Conditioners", "Styling"},
       {"Perfume", "Eau de toilette", "Body mist"}}}},
    {"Electronics",
     {"Audio", "Phones", "Accessories"},
     {"Wireless Earbuds", "USB-C Cable", "Phone Case", "Bluetooth Speaker", "Power Bank"},
     {{{"Headphones", "Speakers", "Radios"},
       {"Smartphones", "Feature phones", "Refurbished"},
       {"Cables", "Chargers", "Cases"}}}},
    {"Apparel",
     {"Women", "Men", "Kids"},
     {"Cotton T-Shirt", "Rain Jacket", "Wool Socks", "Denim Jeans", "Running Shoes"},
     {{{"Dresses", "Tops", "Outerwear"},
       {"Shirts", "Trousers", "Outerwear"},
       {"Baby", "Girls", "Boys"}}}},
}};
constexpr std::array<std::string_view, 8> kAdjectives = {
    "Organic", "Classic", "Premium", "Everyday", "Fresh", "Deluxe", "Smoked", "Light"};
constexpr std::array<std::string_view, 6> kSizes = {"250 g", "500 g",  "1 kg",
                                                    "1 l",   "6-pack", "XL"};
constexpr std::array<std::string_view, 8> kBrands = {"Acme",    "Northwind", "Contoso", "Globex",
                                                     "Initech", "Umbrella",  "Hooli",   "Vandelay"};
// A name as written, and in ASCII for e-mail addresses.
struct Name {
  std::string_view text;
  std::string_view ascii;
};

constexpr std::array<Name, 20> kFirstNames = {{
    {"Anna", "anna"},     {"Ben", "ben"},     {"Chloé", "chloe"},   {"David", "david"},
    {"Emma", "emma"},     {"Finn", "finn"},   {"Grace", "grace"},   {"Hugo", "hugo"},
    {"Isabel", "isabel"}, {"Jonas", "jonas"}, {"Kai", "kai"},       {"Lena", "lena"},
    {"Mateo", "mateo"},   {"Nina", "nina"},   {"Oliver", "oliver"}, {"Priya", "priya"},
    {"Søren", "soren"},   {"Tom", "tom"},     {"Zoë", "zoe"},       {"José", "jose"},
}};
constexpr std::array<Name, 16> kLastNames = {{
    {"Smith", "smith"},
    {"Müller", "mueller"},
    {"García", "garcia"},
    {"Nguyen", "nguyen"},
    {"Kowalski", "kowalski"},
    {"Rossi", "rossi"},
    {"Dubois", "dubois"},
    {"Johnson", "johnson"},
    {"Brown", "brown"},
    {"Novak", "novak"},
    {"Silva", "silva"},
    {"Kim", "kim"},
    {"Okafor", "okafor"},
    {"Jensen", "jensen"},
    {"Martin", "martin"},
    {"O'Brien", "obrien"},
}};
constexpr std::array<std::string_view, 4> kMailDomains = {"example.com", "example.org",
                                                          "mail.example", "example.net"};
constexpr std::array<std::string_view, 3> kGenders = {"female", "male", "nonbinary"};
constexpr std::array<std::string_view, 16> kCities = {
    "Berlin", "Paris", "Madrid", "London", "Rome",   "Vienna", "Zürich", "København",
    "Lyon",   "Porto", "Dublin", "Warsaw", "Prague", "Oslo",   "Málaga", "Kraków"};
constexpr std::array<std::string_view, 4> kCoupons = {"WELCOME10", "SPRING15", "FREESHIP", "VIP20"};
constexpr std::array<std::string_view, 3> kDevices = {"mobile", "desktop", "tablet"};

// `number` padded with zeros to `width` digits.
std::string zeroPadded(uint64_t number, int width) {
  char text[32];
  std::snprintf(text, sizeof text, "%0*llu", width, static_cast<unsigned long long>(number));
  return text;
}

std::string numberedId(char prefix, uint64_t number, int width) {
  return prefix + zeroPadded(number, width);
}

// A random UUID in the version 4 layout, as event trackers write them.
std::string uuid(Random& random) {
  uint64_t high = random.next();
  uint64_t low = random.next();
  high = (high & ~0xf000ULL) | 0x4000ULL;
  low = (low & ~(3ULL << 62)) | (2ULL << 62);
  char text[40];
  std::snprintf(text, sizeof text, "%08llx-%04llx-%04llx-%04llx-%012llx",
                static_cast<unsigned long long>(high >> 32),
                static_cast<unsigned long long>((high >> 16) & 0xffff),
                static_cast<unsigned long long>(high & 0xffff),
                static_cast<unsigned long long>(low >> 48),
                static_cast<unsigned long long>(low & 0xffffffffffffULL));
  return text;
}

void makeProfile(Random& random, uint64_t index, Customer& customer) {
  customer.id = numberedId('C', index + 1, 9);
  const Name& first = pick(random, kFirstNames);
  const Name& last = pick(random, kLastNames);
  customer.firstName = first.text;
  customer.lastName = last.text;
  customer.email.reset();
  if (!random.percent(10)) {
    customer.email = std::string(first.ascii) + "." + std::string(last.ascii) +
                     std::to_string(index % 1000) + "@" + std::string(pick(random, kMailDomains));
  }
  customer.gender.reset();
  if (!random.percent(30)) customer.gender = pick(random, kGenders);
  customer.birthDate.reset();
  if (!random.percent(25)) {
    customer.birthDate = kBorn1940 + static_cast<int64_t>(random.below(kBorn2007 - kBorn1940));
  }
  customer.city.reset();
  if (!random.percent(8)) customer.city = pick(random, kCities);
  customer.postalCode.reset();
  if (!random.percent(8)) customer.postalCode = zeroPadded(random.below(100000), 5);
  customer.signupAt = k2019 + static_cast<int64_t>(random.below(kJuly2024 - k2019));
  customer.tier = pickWeighted(random, std::array<unsigned, 4>{60, 25, 12, 3});
  customer.marketingOptIn = random.percent(60);
}

void makeLines(Random& random, const Shape& shape, const std::vector<Product>& catalog,
               Order& order) {
  order.lines.resize(1 + random.below(shape.maxLinesPerOrder));
  order.totalCents = 0;
  for (size_t i = 0; i < order.lines.size(); ++i) {
    OrderLine& line = order.lines[i];
    line.lineNumber = static_cast<unsigned>(i + 1);
    // The smaller of two uniform picks: low product numbers sell more often.
    line.product =
        static_cast<uint32_t>(std::min(random.below(catalog.size()), random.below(catalog.size())));
    line.quantity =
        1 + static_cast<unsigned>(pickWeighted(random, std::array<unsigned, 4>{70, 20, 7, 3}));
    line.unitPriceCents = catalog[line.product].priceCents;
    int64_t amount = line.unitPriceCents * line.quantity;
    line.discountCents.reset();
    if (random.percent(25)) {
      line.discountCents = amount * static_cast<int64_t>(5 + random.below(16)) / 100;
    }
    order.totalCents += amount - line.discountCents.value_or(0);
  }
}

void makeOrders(Random& random, const Shape& shape, const std::vector<Product>& catalog,
                uint64_t index, Customer& customer) {
  customer.orders.resize(shape.ordersPerCustomer);
  std::vector<int64_t> times(shape.ordersPerCustomer);
  for (auto& time : times) {
    time = customer.signupAt + static_cast<int64_t>(random.below(kJuly2025 - customer.signupAt));
  }
  std::sort(times.begin(), times.end());
  for (unsigned i = 0; i < shape.ordersPerCustomer; ++i) {
    Order& order = customer.orders[i];
    order.id = numberedId('O', index * shape.ordersPerCustomer + i + 1, 10);
    order.orderedAt = times[i];
    order.channel = pickWeighted(random, std::array<unsigned, 4>{50, 35, 12, 3});
    order.status = pickWeighted(random, std::array<unsigned, 5>{3, 5, 84, 5, 3});
    order.couponCode.reset();
    if (random.percent(15)) order.couponCode = pick(random, kCoupons);
    makeLines(random, shape, catalog, order);
  }
}

void makeEvents(Random& random, const Shape& shape, const std::vector<Product>& catalog,
                Customer& customer) {
  customer.events.resize(random.below(2 * uint64_t{shape.meanEventsPerCustomer} + 1));
  for (Event& event : customer.events) {
    event.id = uuid(random);
    event.kind = pickWeighted(random, std::array<unsigned, 6>{35, 30, 10, 10, 10, 5});
    event.at = kJuly2024 + static_cast<int64_t>(random.below(kJuly2025 - kJuly2024));
    bool aboutProduct = kEventKinds[event.kind] == "product_view" ||
                        kEventKinds[event.kind] == "add_to_cart" ||
                        (kEventKinds[event.kind] == "page_view" && random.percent(30));
    event.product.reset();
    if (aboutProduct) event.product = static_cast<uint32_t>(random.below(catalog.size()));
    event.device.reset();
    if (!random.percent(5)) event.device = pick(random, kDevices);
  }
}

}  // namespace

uint64_t Random::next() {
  state_ += 0x9e3779b97f4a7c15ULL;
  return mix(state_);
}

std::vector<Product> makeCatalog(const Shape& shape) {
  Random random(mix(shape.seed ^ 0x70726f6475637473ULL));
  std::vector<Product> catalog(shape.products);
  for (uint32_t i = 0; i < shape.products; ++i) {
    Product& product = catalog[i];
    const Department& department = pick(random, kDepartments);
    product.id = numberedId('P', i + 1, 6);
    product.name =
        std::string(pick(random, kAdjectives)) + " " + std::string(pick(random, department.nouns));
    if (random.percent(30)) product.name += ", " + std::string(pick(random, kSizes));
    product.department = department.name;
    // The same draw as pick(), so that two-level catalogs stay as they were.
    uint64_t category = random.below(department.categories.size());
    product.category = department.categories[category];
    product.subcategory.reset();
    if (shape.catalogLevels >= 3) {
      product.subcategory = pick(random, department.subcategories[category]);
    }
    if (!random.percent(10)) product.brand = pick(random, kBrands);
    product.priceCents = 99 + static_cast<int64_t>(random.below(29900));
  }
  return catalog;
}

void makeCustomer(const Shape& shape, const std::vector<Product>& catalog, uint64_t index,
                  Customer& customer) {
  Random random(mix(mix(shape.seed) ^ index));
  makeProfile(random, index, customer);
  makeOrders(random, shape, catalog, index, customer);
  makeEvents(random, shape, catalog, customer);
}

}  // namespace crm::bench
