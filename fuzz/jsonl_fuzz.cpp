// Any bytes as JSON Lines: the input, split at its first NUL byte, is the
// customers file (with orders and their items nested as arrays of objects)
// and the catalog file of a schema that uses every scalar type.
#include "fuzz/loader_fuzz.h"

namespace {

const crm::fuzz::LoaderTarget kTarget{R"(
enum Tier { Bronze, Silver, Gold }

customer entity Customer key id {
  id: string
  name: string
  age: int?
  tier: Tier?
  score: decimal?
  ratio: double?
  vip: bool?
  born: date?
  seen_at: timestamp?
  orders: list<Order>
}

entity Order key order_id {
  order_id: string
  total: decimal
  at: timestamp?
  items: list<Item>
}

entity Item key line {
  line: int
  product: Product
  quantity: int
}

catalog entity Product key sku {
  sku: string
  name: string?
  price: decimal?
}

source customers: Customer from jsonl("customers.jsonl") {
  timestamp_format: "%Y-%m-%d %H:%M:%S"
  time_zone: "America/New_York"
  null_values: ["NA"]
  columns { id  name  age  tier  "score_v2" -> score  ratio  vip  born  seen_at }
}

source products: Product from jsonl("products.jsonl") {
  columns { sku  name  price }
}
)",
                                      {"customers.jsonl", "products.jsonl"}};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return crm::fuzz::loadInput(kTarget, data, size);
}
