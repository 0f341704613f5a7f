// Any bytes as CSV: the input, split at its first two NUL bytes, is the
// customers, orders and products files of a schema that uses every scalar
// type, a ';' separator with a decimal comma, day-first dates, naive
// timestamps in a zone with daylight saving time, null markers, a child
// table joined by a parent key, and catalog references.
#include "fuzz/loader_fuzz.h"

namespace {

const crm::fuzz::LoaderTarget kTarget{R"(
enum Tier { Bronze, Silver, Gold }

customer entity Customer key id {
  id: int
  name: string
  tier: Tier?
  balance: decimal?
  ratio: double?
  vip: bool?
  born: date?
  seen_at: timestamp?
  wait: duration?
  orders: list<Order>
}

entity Order key order_id {
  order_id: string
  customer_id: int
  product: Product
  total: decimal
  at: timestamp
}

catalog entity Product key sku levels(department > category) {
  sku: string
  department: string
  category: string
  price: decimal?
}

source customers: Customer from csv("customers.csv") {
  header: true
  separator: ";"
  decimal_separator: ","
  date_format: "%d-%m-%Y"
  timestamp_format: "%Y-%m-%d %H:%M:%S"
  time_zone: "Europe/Amsterdam"
  null_values: ["", "NA"]
  columns { id  name  tier  balance  ratio  vip  born  seen_at  wait }
}

source orders: Order from csv("orders.csv") {
  parent: customer_id
  columns { order_id  customer_id  sku -> product  total  at }
}

source products: Product from csv("products.csv") {
  header: false
  quote: "'"
  columns { sku  department  category  price }
}
)",
                                      {"customers.csv", "orders.csv", "products.csv"}};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return crm::fuzz::loadInput(kTarget, data, size);
}
