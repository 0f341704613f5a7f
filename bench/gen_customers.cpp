// crm_gen: writes a deterministic synthetic CRM data set for the ingest and
// evaluation benchmarks, as CSV and as JSON Lines, with the .crm scripts that
// bind it.
//
//   OUT/csv/{products,customers,orders,order_lines,events}.csv
//   OUT/jsonl/{products,customers,orders,order_lines,events}.jsonl
//   OUT/jsonl/customers_nested.jsonl   customers with their orders and lines nested
//   OUT/schema.crm, OUT/load_csv.crm, OUT/load_jsonl.crm, OUT/load_jsonl_nested.crm
//   OUT/manifest.txt                   the shape and the size of each file, written last
//
// The same arguments always write byte-identical files. `--shape eval` picks
// the evaluation benchmark's defaults: more events, a larger catalog and a
// third catalog level.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>

#include "bench/record_writers.h"
#include "bench/synthetic_data.h"

namespace crm::bench {
namespace {

std::optional<std::string_view> optionalView(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  return std::string_view(*text);
}

// The fields of each entity, in file order, for every writer.

template <typename Writer>
void writeProduct(Writer& writer, const Product& product) {
  writer.text("product_id", product.id);
  writer.text("name", product.name);
  writer.text("department", product.department);
  writer.text("category", product.category);
  if (product.subcategory) writer.text("subcategory", *product.subcategory);
  writer.optionalText("brand", product.brand);
  writer.cents("price", product.priceCents);
}

template <typename Writer>
void writeProfile(Writer& writer, const Customer& customer) {
  writer.text("customer_id", customer.id);
  writer.optionalText("email", optionalView(customer.email));
  writer.text("first_name", customer.firstName);
  writer.text("last_name", customer.lastName);
  writer.optionalText("gender", customer.gender);
  writer.date("birth_date", customer.birthDate);
  writer.optionalText("city", customer.city);
  writer.optionalText("postal_code", optionalView(customer.postalCode));
  writer.timestamp("signup_at", customer.signupAt);
  writer.text("tier", kTiers[customer.tier]);
  writer.boolean("marketing_opt_in", customer.marketingOptIn);
}

template <typename Writer>
void writeOrder(Writer& writer, const Customer& customer, const Order& order) {
  writer.text("order_id", order.id);
  writer.text("customer_id", customer.id);
  writer.timestamp("ordered_at", order.orderedAt);
  writer.text("channel", kChannels[order.channel]);
  writer.text("status", kOrderStatuses[order.status]);
  writer.cents("total", order.totalCents);
  writer.optionalText("coupon_code", order.couponCode);
}

// The flat files name the product's key `product_id`. The nested file names
// it `product`, after the field, because the loader reads each key of a
// nested object into the field of the same name.
template <typename Writer>
void writeLine(Writer& writer, const std::vector<Product>& catalog, const Order& order,
               const OrderLine& line, std::string_view productKey) {
  writer.text("order_id", order.id);
  writer.integer("line_no", line.lineNumber);
  writer.text(productKey, catalog[line.product].id);
  writer.integer("quantity", line.quantity);
  writer.cents("unit_price", line.unitPriceCents);
  writer.cents("discount", line.discountCents);
}

template <typename Writer>
void writeEvent(Writer& writer, const std::vector<Product>& catalog, const Customer& customer,
                const Event& event) {
  writer.text("event_id", event.id);
  writer.text("customer_id", customer.id);
  writer.text("kind", kEventKinds[event.kind]);
  writer.timestamp("at", event.at);
  std::optional<std::string_view> product;
  if (event.product) product = catalog[*event.product].id;
  writer.optionalText("product_id", product);
  writer.optionalText("device", event.device);
}

// Writes one record to `file`; a CSV file gets its header before the first.
template <typename Writer, typename Fields>
void writeRecord(OutputFile& file, bool& started, Fields&& fields) {
  if constexpr (std::is_same_v<Writer, CsvRecordWriter>) {
    if (!started) {
      CsvHeaderWriter header(file.buffer());
      header.beginRecord();
      fields(header);
      header.endRecord();
    }
  }
  started = true;
  Writer writer(file.buffer());
  writer.beginRecord();
  fields(writer);
  writer.endRecord();
  file.flushIfFull();
}

// One file per entity, in CSV or flat JSON Lines.
template <typename Writer>
class FlatFiles {
 public:
  FlatFiles(const std::filesystem::path& folder, const std::string& extension)
      : customers_(folder / ("customers" + extension)),
        orders_(folder / ("orders" + extension)),
        lines_(folder / ("order_lines" + extension)),
        events_(folder / ("events" + extension)) {}

  void write(const std::vector<Product>& catalog, const Customer& customer) {
    writeRecord<Writer>(customers_, started_[0], [&](auto& w) { writeProfile(w, customer); });
    for (const Order& order : customer.orders) {
      writeRecord<Writer>(orders_, started_[1],
                          [&](auto& w) { writeOrder(w, customer, order); });
      for (const OrderLine& line : order.lines) {
        writeRecord<Writer>(lines_, started_[2],
                            [&](auto& w) { writeLine(w, catalog, order, line, "product_id"); });
      }
    }
    for (const Event& event : customer.events) {
      writeRecord<Writer>(events_, started_[3],
                          [&](auto& w) { writeEvent(w, catalog, customer, event); });
    }
  }

  void close() {
    customers_.close();
    orders_.close();
    lines_.close();
    events_.close();
  }

 private:
  OutputFile customers_, orders_, lines_, events_;
  bool started_[4] = {false, false, false, false};
};

// One JSON object per customer with an `orders` array, each order with a
// `lines` array. The children keep their parent's key, as the flat files do.
// Events stay in the flat events.jsonl.
void writeNestedCustomer(OutputFile& file, const std::vector<Product>& catalog,
                         const Customer& customer) {
  JsonWriter writer(file.buffer());
  writer.beginRecord();
  writeProfile(writer, customer);
  writer.beginArray("orders");
  for (const Order& order : customer.orders) {
    writer.beginObject();
    writeOrder(writer, customer, order);
    writer.beginArray("lines");
    for (const OrderLine& line : order.lines) {
      writer.beginObject();
      writeLine(writer, catalog, order, line, "product");
      writer.endObject();
    }
    writer.endArray();
    writer.endObject();
  }
  writer.endArray();
  writer.endRecord();
  file.flushIfFull();
}

void writeCatalog(const std::filesystem::path& path, const std::vector<Product>& catalog,
                  bool csv) {
  OutputFile file(path);
  bool started = false;
  for (const Product& product : catalog) {
    auto fields = [&](auto& writer) { writeProduct(writer, product); };
    if (csv) {
      writeRecord<CsvRecordWriter>(file, started, fields);
    } else {
      writeRecord<JsonWriter>(file, started, fields);
    }
  }
  file.close();
}

constexpr const char* kSchema =
    R"(// The schema of the synthetic data set that crm_gen writes for the ingest
// benchmark. load_csv.crm, load_jsonl.crm and load_jsonl_nested.crm bind
// its files.

enum Tier { bronze, silver, gold, platinum }
enum Channel { web, app, store, phone }
enum OrderStatus { placed, shipped, delivered, returned, cancelled }
enum EventKind { page_view, product_view, add_to_cart, search, email_open, email_click }

customer entity Customer key customer_id {
  customer_id: string
  email: string?
  first_name: string
  last_name: string
  gender: string?
  birth_date: date?
  city: string?
  postal_code: string?
  signup_at: timestamp
  tier: Tier
  marketing_opt_in: bool
  orders: list<Order>
  events: list<Event>
}

entity Order key order_id {
  order_id: string
  customer_id: string
  ordered_at: timestamp
  channel: Channel
  status: OrderStatus
  // The sum of the lines' quantity times unit price, less their discounts.
  total: decimal
  coupon_code: string?
  lines: list<OrderLine>
}

// One product of an order. Lines share their order's key.
entity OrderLine key order_id {
  order_id: string
  line_no: int
  product: Product
  quantity: int
  unit_price: decimal
  discount: decimal?
}

catalog entity Product key product_id levels(department > category) {
  product_id: string
  name: string
  department: string
  category: string
  brand: string?
  price: decimal
}

event entity Event key event_id {
  event_id: string
  customer_id: string
  kind: EventKind
  at: timestamp
  product: Product?
  device: string?
}
)";

// Replaces the one occurrence of `from` in `text` by `to`.
void replaceOnce(std::string& text, std::string_view from, std::string_view to) {
  size_t at = text.find(from);
  if (at == std::string::npos || text.find(from, at + 1) != std::string::npos) {
    throw std::logic_error("the schema template changed: '" + std::string(from) + "'");
  }
  text.replace(at, from.size(), to);
}

// The schema of a data set. A three-level catalog, as the evaluation
// benchmark uses, adds the subcategory field and level to the catalog entity.
std::string schemaText(const Shape& shape) {
  std::string text = kSchema;
  if (shape.catalogLevels < 3) return text;
  replaceOnce(text, "for the ingest\n// benchmark.", "for the evaluation\n// benchmark.");
  replaceOnce(text, "levels(department > category)",
              "levels(department > category > subcategory)");
  replaceOnce(text, "  category: string\n", "  category: string\n  subcategory: string\n");
  return text;
}

std::string productColumns(const Shape& shape) {
  if (shape.catalogLevels < 3) return "product_id name department category brand price";
  return "product_id name department category subcategory brand price";
}
constexpr const char* kCustomerColumns =
    "customer_id email first_name last_name gender birth_date city postal_code\n"
    "    signup_at tier marketing_opt_in";
constexpr const char* kOrderColumns =
    "order_id customer_id ordered_at channel status total coupon_code";
constexpr const char* kLineColumns =
    "order_id line_no product_id -> product quantity unit_price discount";
constexpr const char* kEventColumns = "event_id customer_id kind at product_id -> product device";

// One `source` declaration, named after the file: `jsonl/orders.jsonl` is
// `orders_jsonl`.
std::string sourceDecl(const std::string& file, const std::string& entity,
                       const std::string& parent, const std::string& columns) {
  std::filesystem::path path(file);
  std::string format = path.extension().string().substr(1);
  std::string text = "source " + path.stem().string() + "_" + format + ": " + entity + " from " +
                     format + "(\"" + file + "\") {\n";
  if (!parent.empty()) text += "  parent: " + parent + "\n";
  return text + "  columns {\n    " + columns + "\n  }\n}\n";
}

// The script that binds one format's files. `format` is csv or jsonl for
// one file per entity, or nested for customers_nested.jsonl with the flat
// products and events.
std::string loadScript(const std::string& format, const Shape& shape) {
  const std::string products = productColumns(shape);
  std::string text =
      "// Binds the " + format + " files that crm_gen wrote beside this script.\n";
  text += "import \"schema.crm\"\n";
  if (format == "nested") {
    // The customer source reads each record's `orders` key into the child
    // list of the same name, and each order's `lines` likewise.
    text += "\n" + sourceDecl("jsonl/products.jsonl", "Product", "", products);
    text += "\n" + sourceDecl("jsonl/customers_nested.jsonl", "Customer", "", kCustomerColumns);
    text += "\n" + sourceDecl("jsonl/events.jsonl", "Event", "customer_id", kEventColumns);
    return text;
  }
  auto file = [&](const std::string& stem) { return format + "/" + stem + "." + format; };
  text += "\n" + sourceDecl(file("products"), "Product", "", products);
  text += "\n" + sourceDecl(file("customers"), "Customer", "", kCustomerColumns);
  text += "\n" + sourceDecl(file("orders"), "Order", "customer_id", kOrderColumns);
  text += "\n" + sourceDecl(file("order_lines"), "OrderLine", "order_id", kLineColumns);
  text += "\n" + sourceDecl(file("events"), "Event", "customer_id", kEventColumns);
  return text;
}

void writeText(const std::filesystem::path& path, const std::string& text) {
  OutputFile file(path);
  file.buffer() = text;
  file.close();
}

struct Formats {
  bool csv = true;
  bool jsonl = true;
  bool nested = true;
};

void writeManifest(const std::filesystem::path& out, const Shape& shape) {
  std::string text = "customers " + std::to_string(shape.customers) + "\norders_per_customer " +
                     std::to_string(shape.ordersPerCustomer) + "\nmax_lines_per_order " +
                     std::to_string(shape.maxLinesPerOrder) + "\nmean_events_per_customer " +
                     std::to_string(shape.meanEventsPerCustomer) + "\nproducts " +
                     std::to_string(shape.products) + "\nseed " + std::to_string(shape.seed) + "\n";
  // Only a three-level catalog adds a line, so that the ingest benchmark's
  // manifest stays as it was.
  if (shape.catalogLevels != 2) {
    text += "catalog_levels " + std::to_string(shape.catalogLevels) + "\n";
  }
  std::set<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(out)) {
    if (entry.is_regular_file() && entry.path().filename() != "manifest.txt") {
      files.insert(std::filesystem::relative(entry.path(), out).string() + " " +
                   std::to_string(entry.file_size()));
    }
  }
  for (const auto& file : files)
    text += "file " + file + "\n";
  writeText(out / "manifest.txt", text);
}

void generate(const std::filesystem::path& out, const Shape& shape, const Formats& formats) {
  std::filesystem::remove(out / "manifest.txt");
  std::filesystem::create_directories(out / "csv");
  std::filesystem::create_directories(out / "jsonl");
  writeText(out / "schema.crm", schemaText(shape));
  writeText(out / "load_csv.crm", loadScript("csv", shape));
  writeText(out / "load_jsonl.crm", loadScript("jsonl", shape));
  writeText(out / "load_jsonl_nested.crm", loadScript("nested", shape));

  std::vector<Product> catalog = makeCatalog(shape);
  if (formats.csv) writeCatalog(out / "csv" / "products.csv", catalog, true);
  if (formats.jsonl) writeCatalog(out / "jsonl" / "products.jsonl", catalog, false);

  std::unique_ptr<FlatFiles<CsvRecordWriter>> csv;
  std::unique_ptr<FlatFiles<JsonWriter>> jsonl;
  std::unique_ptr<OutputFile> nested;
  if (formats.csv) csv = std::make_unique<FlatFiles<CsvRecordWriter>>(out / "csv", ".csv");
  if (formats.jsonl) jsonl = std::make_unique<FlatFiles<JsonWriter>>(out / "jsonl", ".jsonl");
  if (formats.nested) {
    nested = std::make_unique<OutputFile>(out / "jsonl" / "customers_nested.jsonl");
  }

  Customer customer;
  for (uint64_t i = 0; i < shape.customers; ++i) {
    makeCustomer(shape, catalog, i, customer);
    if (csv) csv->write(catalog, customer);
    if (jsonl) jsonl->write(catalog, customer);
    if (nested) writeNestedCustomer(*nested, catalog, customer);
  }
  if (csv) csv->close();
  if (jsonl) jsonl->close();
  if (nested) nested->close();
  writeManifest(out, shape);
}

// The evaluation benchmark's data set: 30 events per customer, 50,000
// products in three levels. Options given on the command line keep their
// values.
void applyEvalShape(const CLI::App& app, Shape& shape) {
  if (app.count("--events") == 0) shape.meanEventsPerCustomer = 30;
  if (app.count("--products") == 0) shape.products = 50000;
  if (app.count("--levels") == 0) shape.catalogLevels = 3;
}

}  // namespace
}  // namespace crm::bench

int main(int argc, char** argv) {
  using namespace crm::bench;
  CLI::App app{
      "Writes a deterministic synthetic CRM data set for the ingest or the evaluation benchmark."};
  Shape shape;
  std::string out;
  std::string shapeName = "ingest";
  std::vector<std::string> formatNames = {"csv", "jsonl", "nested"};
  app.add_option("--out", out, "Folder to write into; created when missing")->required();
  app.add_option("--customers", shape.customers, "Number of customers")->capture_default_str();
  app.add_option("--orders", shape.ordersPerCustomer, "Orders per customer")->capture_default_str();
  app.add_option("--max-lines", shape.maxLinesPerOrder,
                 "Maximum lines per order; each order has 1 to this many, uniformly")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000u));
  app.add_option("--events", shape.meanEventsPerCustomer,
                 "Mean events per customer; each has 0 to twice this many, uniformly")
      ->capture_default_str();
  app.add_option("--products", shape.products, "Number of products in the catalog")
      ->capture_default_str()
      ->check(CLI::Range(1u, 99999999u));
  app.add_option("--levels", shape.catalogLevels,
                 "Levels of the catalog hierarchy: 2 (department > category) or 3 (department "
                 "> category > subcategory)")
      ->capture_default_str()
      ->check(CLI::Range(2u, 3u));
  app.add_option("--shape", shapeName,
                 "The defaults of a benchmark's data set: ingest (the defaults above) or eval "
                 "(--events 30 --products 50000 --levels 3); options given override them")
      ->check(CLI::IsMember({"ingest", "eval"}))
      ->capture_default_str();
  app.add_option("--seed", shape.seed, "Seed of the generator")->capture_default_str();
  app.add_option("--formats", formatNames,
                 "Formats to write: csv, jsonl (one file per entity), nested (customers with "
                 "their orders in one JSON Lines file)")
      ->delimiter(',')
      ->check(CLI::IsMember({"csv", "jsonl", "nested"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (shapeName == "eval") applyEvalShape(app, shape);

  Formats formats{false, false, false};
  for (const auto& name : formatNames) {
    formats.csv = formats.csv || name == "csv";
    formats.jsonl = formats.jsonl || name == "jsonl";
    formats.nested = formats.nested || name == "nested";
  }
  try {
    generate(out, shape, formats);
  } catch (const std::exception& error) {
    std::cerr << "crm_gen: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
