// crm_recs_eval: the offline evaluation of the recommendation functions.
// For every customer with at least two baskets it hides the last one,
// recommends k = 5 and k = 10 products from the rest of the data with each
// method, and reports the hit rate (the share of customers with at least
// one hidden product among the k) and the recall (the share of the hidden
// products among the k, averaged over customers).
//
//   crm_recs_eval [--data-dir DIR] [--engine interp|jit] [--work DIR]
//
// DIR contains completejourney/ and, when present, rees46_ecommerce_events/.
// It defaults to $CRM_DATA_DIR, else the folder shared/data beside the
// checkout. The
// methods are `let` declarations of a script that this program writes into
// --work, one per method, evaluated per customer as `crm run` evaluates
// them. docs/recommendations.md explains the method and the results.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "compiler/diag/render.h"
#include "interp/interpreter.h"
#include "jit/jit.h"
#include "run/prepare.h"
#include "runtime/time.h"

namespace {

namespace fs = std::filesystem;
using crm::runtime::Value;

constexpr size_t kLargestK = 10;

struct Method {
  std::string name;
  std::string expression;  // a list<Product> of up to kLargestK products
};

// One data set prepared for the evaluation: a script, where its sources
// are, the instant of the run, and the hidden products of each customer.
struct Dataset {
  std::string name;
  fs::path script;
  crm::load::LoadOptions load;
  std::string asOf;
  std::map<std::string, std::set<std::string>> hidden;  // customer key -> products
  std::vector<Method> methods;
};

struct Score {
  size_t customers = 0;
  size_t hits[2] = {0, 0};     // at 5 and at 10
  double recall[2] = {0, 0};   // summed over customers
  double seconds = 0;
};

std::vector<std::string> splitCsvLine(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ',')) fields.push_back(field);
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  for (auto& f : fields) {
    if (!f.empty() && f.back() == '\r') f.pop_back();
  }
  return fields;
}

size_t columnIndex(const std::vector<std::string>& header, const std::string& name) {
  auto it = std::find(header.begin(), header.end(), name);
  if (it == header.end()) throw std::runtime_error("no column `" + name + "`");
  return static_cast<size_t>(it - header.begin());
}

void writeFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string letsOf(const std::vector<Method>& methods) {
  std::string text;
  for (size_t i = 0; i < methods.size(); ++i) {
    text += "let method_" + std::to_string(i) + " = " + methods[i].expression +
            "  // crm:allow(W0101)\n";
  }
  return text;
}

// The Complete Journey transactions without each household's last basket
// (the latest timestamp; ties by basket id), which becomes the hidden one.
Dataset prepareCompleteJourney(const fs::path& data, const fs::path& work,
                               const fs::path& sourceDir) {
  Dataset dataset;
  dataset.name = "Complete Journey (transactions_sample.csv)";
  fs::path folder = data / "completejourney";
  std::ifstream in(folder / "transactions_sample.csv");
  if (!in) throw std::runtime_error("cannot read " + (folder / "transactions_sample.csv").string());
  std::string headerLine;
  std::getline(in, headerLine);
  auto header = splitCsvLine(headerLine);
  size_t household = columnIndex(header, "household_id");
  size_t basket = columnIndex(header, "basket_id");
  size_t product = columnIndex(header, "product_id");
  size_t time = columnIndex(header, "transaction_timestamp");

  std::vector<std::string> lines;
  // household -> basket -> time
  std::map<std::string, std::map<std::string, std::string>> basketTimes;
  for (std::string line; std::getline(in, line);) {
    auto fields = splitCsvLine(line);
    if (fields.size() != header.size()) continue;
    std::string& latest = basketTimes[fields[household]][fields[basket]];
    latest = std::max(latest, fields[time]);
    lines.push_back(line);
  }
  std::map<std::string, std::string> lastBasket;
  for (const auto& [key, baskets] : basketTimes) {
    if (baskets.size() < 2) continue;
    std::pair<std::string, std::string> last;
    for (const auto& [id, at] : baskets) last = std::max(last, std::make_pair(at, id));
    lastBasket[key] = last.second;
  }
  std::string train = headerLine + "\n";
  for (const auto& line : lines) {
    auto fields = splitCsvLine(line);
    auto last = lastBasket.find(fields[household]);
    if (last != lastBasket.end() && last->second == fields[basket]) {
      dataset.hidden[fields[household]].insert(fields[product]);
    } else {
      train += line + "\n";
    }
  }
  writeFile(work / "cj_train.csv", train);

  dataset.methods = {
      {"popularity (baseline)", "popular(365d).take(10)"},
      {"favourite product_category", "popular(365d, \"product_category\", "
                                     "favourite(\"product_category\", 365d)).take(10)"},
      {"favourite product_type", "popular(365d, \"product_type\", "
                                 "favourite(\"product_type\", 365d)).take(10)"},
      {"bought_together", "bought_together(purchased(365d), 10)"},
      {"similar (last purchase)", "purchased(365d).size() > 0 ? "
                                  "similar(purchased(365d)[0], 10) : []"},
      {"purchased (repeat)", "purchased(365d).take(10)"},
      {"bought twice or more, then popularity",
       "(purchased(365d).filter(p, customer.transactions.count(t, t.product == p) >= 2)"
       ".top(10, p, customer.transactions.count(t, t.product == p))"
       " + popular(365d).take(10)).distinct().take(10)"},
  };
  dataset.script = work / "cj_eval.crm";
  fs::path schema = sourceDir / "examples" / "schema" / "completejourney.crm";
  writeFile(dataset.script, "import \"" + schema.string() + "\"\n" + letsOf(dataset.methods));
  // The other sources stay the bundled copies, whose products are a subset
  // of the full catalog.
  dataset.load.sourcePaths["products_csv"] = (folder / "products.csv").string();
  dataset.load.sourcePaths["transactions_csv"] = (work / "cj_train.csv").string();
  dataset.asOf = "2018-01-01T00:00:00Z";
  return dataset;
}

std::string rfc3339(const std::string& reesTime) {
  // "2019-10-01 00:00:00 UTC" -> "2019-10-01T00:00:00Z"
  return reesTime.substr(0, 10) + "T" + reesTime.substr(11, 8) + "Z";
}

// The REES46 events up to each shopper's last cart addition or purchase
// that follows earlier events; its product is the hidden one. The catalog
// is the events' products with the dotted category code as three levels.
Dataset prepareRees46(const fs::path& data, const fs::path& work) {
  Dataset dataset;
  dataset.name = "REES46 (events_2019-Oct_head.csv)";
  fs::path file = data / "rees46_ecommerce_events" / "events_2019-Oct_head.csv";
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::string headerLine;
  std::getline(in, headerLine);
  auto header = splitCsvLine(headerLine);
  size_t time = columnIndex(header, "event_time");
  size_t type = columnIndex(header, "event_type");
  size_t product = columnIndex(header, "product_id");
  size_t code = columnIndex(header, "category_code");
  size_t user = columnIndex(header, "user_id");

  std::map<std::string, std::vector<std::vector<std::string>>> byUser;
  std::map<std::string, std::string> categories;  // product -> first category code
  for (std::string line; std::getline(in, line);) {
    auto fields = splitCsvLine(line);
    if (fields.size() != header.size()) continue;  // the cut-off last line
    categories.emplace(fields[product], fields[code]);
    byUser[fields[user]].push_back(fields);
  }
  std::string events = "event_id,user_id,product,type,at\n";
  size_t id = 0;
  for (auto& [key, list] : byUser) {
    std::stable_sort(list.begin(), list.end(),
                     [&](const auto& a, const auto& b) { return a[time] < b[time]; });
    size_t end = list.size();
    for (size_t i = list.size(); i-- > 1;) {
      if (list[i][type] == "cart" || list[i][type] == "purchase") {
        dataset.hidden[key].insert(list[i][product]);
        end = i;
        break;
      }
    }
    for (size_t i = 0; i < end; ++i) {
      events += "e" + std::to_string(++id) + "," + key + "," + list[i][product] + "," +
                list[i][type] + "," + rfc3339(list[i][time]) + "\n";
    }
  }
  std::string products = "product_id,category,subcategory,leaf\n";
  for (const auto& [key, dotted] : categories) {
    std::vector<std::string> parts;
    std::istringstream split(dotted);
    for (std::string part; std::getline(split, part, '.');) parts.push_back(part);
    parts.resize(3);
    products += key + "," + parts[0] + "," + parts[1] + "," + parts[2] + "\n";
  }
  writeFile(work / "rees_events.csv", events);
  writeFile(work / "rees_products.csv", products);

  dataset.methods = {
      {"popularity (baseline)", "popular(1d).take(10)"},
      {"favourite leaf", "popular(1d, \"leaf\", favourite(\"leaf\", 1d)).take(10)"},
      {"similar (last view)", "viewed(1d).size() > 0 ? similar(viewed(1d)[0], 10) : []"},
      {"viewed (repeat)", "viewed(1d).take(10)"},
  };
  dataset.script = work / "rees_eval.crm";
  writeFile(dataset.script, R"(
customer entity Shopper key user_id { user_id: string  events: list<Event> }
event entity Event key event_id {
  event_id: string
  user_id: string
  product: Product
  type: string
  at: timestamp
}
catalog entity Product key product_id levels(category > subcategory > leaf) {
  product_id: string
  category: string
  subcategory: string
  leaf: string
}
source events: Event from csv("rees_events.csv") { parent: user_id }
source products: Product from csv("rees_products.csv") {}
)" + letsOf(dataset.methods));
  dataset.asOf = "2019-10-01T03:00:00Z";
  return dataset;
}

std::vector<Score> evaluate(const Dataset& dataset, const std::string& engine) {
  crm::run::Prepared prepared = crm::run::prepareScript(dataset.script.string(), dataset.load);
  if (!prepared.ok()) {
    crm::diag::renderHuman(std::cerr, prepared.compilation->sources,
                           prepared.compilation->diagnostics->sorted(), {false});
    crm::load::printReport(std::cerr, prepared.loadReport);
    throw std::runtime_error("cannot prepare " + dataset.script.string());
  }
  const crm::ir::Program& program = *prepared.program;
  std::unique_ptr<crm::jit::CompiledProgram> compiled;
  if (engine == "jit") {
    crm::jit::Options options;
    options.optLevel = 0;
    std::string error;
    compiled = crm::jit::compile(program, prepared.store.get(), options, error);
    if (compiled == nullptr) throw std::runtime_error("the JIT failed: " + error);
  }
  int64_t now = *crm::runtime::parseTimestamp(dataset.asOf);
  crm::interp::Interpreter interpreter(program, prepared.store.get(), now);
  interpreter.setNativeCode(compiled.get());
  crm::runtime::Table* customers = prepared.store->table(program.customerEntity);
  if (!customers->hasKeyIndex()) customers->buildKeyIndex();

  std::vector<Score> scores(dataset.methods.size());
  for (const auto& [key, hidden] : dataset.hidden) {
    auto row = customers->findRow(key);
    if (!row) continue;
    interpreter.setCustomer(*row);
    for (size_t m = 0; m < dataset.methods.size(); ++m) {
      auto start = std::chrono::steady_clock::now();
      Value offer = interpreter.declaration(static_cast<uint32_t>(m));
      scores[m].seconds +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (offer.isError()) throw std::runtime_error(offer.asError().message);
      Score& score = scores[m];
      ++score.customers;
      size_t found = 0;
      for (size_t i = 0; i < offer.listSize() && i < kLargestK; ++i) {
        found += hidden.count(crm::runtime::displayText(offer.listAt(i)));
        if (i + 1 == 5 || (i + 1 == offer.listSize() && i + 1 < 5)) {
          score.hits[0] += found > 0;
          score.recall[0] += static_cast<double>(found) / hidden.size();
        }
      }
      if (offer.listSize() == 0) continue;
      score.hits[1] += found > 0;
      score.recall[1] += static_cast<double>(found) / hidden.size();
    }
  }
  return scores;
}

void printTable(const Dataset& dataset, const std::vector<Score>& scores) {
  std::cout << "\n### " << dataset.name << "\n\n"
            << scores.front().customers << " customers with a hidden basket, as of "
            << dataset.asOf << ".\n\n"
            << "| method | expression | hit rate @5 | recall @5 | hit rate @10 | recall @10 | "
               "seconds |\n|---|---|---|---|---|---|---|\n";
  std::cout << std::fixed;
  for (size_t m = 0; m < scores.size(); ++m) {
    const Score& s = scores[m];
    double n = static_cast<double>(std::max<size_t>(s.customers, 1));
    std::cout << "| " << dataset.methods[m].name << " | `" << dataset.methods[m].expression
              << "` | " << std::setprecision(3) << s.hits[0] / n << " | " << s.recall[0] / n
              << " | " << s.hits[1] / n << " | " << s.recall[1] / n << " | "
              << std::setprecision(2) << s.seconds << " |\n";
  }
}

fs::path defaultDataDir(const fs::path& sourceDir) {
  if (const char* configured = std::getenv("CRM_DATA_DIR")) return configured;
  return sourceDir.parent_path() / "shared" / "data";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Offline evaluation of the recommendation functions"};
  fs::path sourceDir = CRM_SOURCE_DIR;
  std::string dataDir = defaultDataDir(sourceDir).string();
  std::string engine = "interp";
  std::string work = (fs::temp_directory_path() / "crm-recs-eval").string();
  app.add_option("--data-dir", dataDir,
                 "folder that contains completejourney/ (default: $CRM_DATA_DIR)");
  app.add_option("--engine", engine, "evaluation engine")->check(CLI::IsMember({"interp", "jit"}));
  app.add_option("--work", work, "folder for the held-out data and the scripts");
  CLI11_PARSE(app, argc, argv);

  try {
    fs::create_directories(work);
    std::vector<Dataset> datasets;
    datasets.push_back(prepareCompleteJourney(dataDir, work, sourceDir));
    if (fs::exists(fs::path(dataDir) / "rees46_ecommerce_events" / "events_2019-Oct_head.csv")) {
      datasets.push_back(prepareRees46(dataDir, work));
    }
    for (const auto& dataset : datasets) printTable(dataset, evaluate(dataset, engine));
  } catch (const std::exception& error) {
    std::cerr << "crm_recs_eval: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
