#include "tests/support/test_support.h"

#include <fstream>
#include <sstream>

namespace crm::testing {

const char* const kPrelude = R"(
enum Tier { bronze, silver, gold }
record Address { city: string  zip: string? }
record Line { product: Product  quantity: int  price: decimal }
record Order { at: timestamp  total: decimal  lines: list<Line> }
customer entity Customer key id {
  id: string
  age: int?
  email: string?
  birth_date: date?
  tier: Tier
  consent: set<string>
  orders: list<Order>
  address: Address?
  tags: map<string, string>
  score: double
  events: list<Event>
}
catalog entity Product key sku levels(department > category) {
  sku: string
  department: string
  category: string?
  price: decimal
  on_promo: bool
}
event entity Event key id { id: string  kind: string  at: timestamp  sku: string? }
)";

std::unique_ptr<driver::Compilation> checkText(const std::string& text,
                                               const driver::CheckOptions& options,
                                               const std::string& path) {
  return driver::checkScripts({{path, text}}, options);
}

std::vector<std::string> codesOf(const driver::Compilation& compilation) {
  std::vector<std::string> codes;
  for (const auto& diagnostic : compilation.diagnostics->sorted()) {
    codes.emplace_back(diag::info(diagnostic.code).id);
  }
  return codes;
}

std::string summarize(const driver::Compilation& compilation) {
  std::ostringstream out;
  for (const auto& diagnostic : compilation.diagnostics->sorted()) {
    if (diagnostic.range.valid()) {
      auto position =
          compilation.sources.file(diagnostic.range.file).lineColumn(diagnostic.range.begin);
      out << position.line << ":" << position.column << " ";
    }
    out << diag::info(diagnostic.code).id << " " << diagnostic.message << "\n";
  }
  return out.str();
}

std::string readFile(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  std::ostringstream contents;
  contents << stream.rdbuf();
  return contents.str();
}

std::string describeLoad(const load::LoadResult& result) {
  std::string text;
  for (const auto& error : result.report.errors) text += "error " + error + "\n";
  for (const auto& problem : result.report.problems) {
    text += "problem " + problem.location + " | " + problem.field + " | " + problem.message +
            " | " + problem.record + "\n";
  }
  for (const auto& source : result.report.sources) {
    text += "source " + source.name + " " + std::to_string(source.records) + " " +
            std::to_string(source.loaded) + " " + std::to_string(source.rejected) + " " +
            std::to_string(source.bytes) + "\n";
  }
  if (result.store) {
    for (const auto& table : result.store->tables()) {
      text += "table " + table->name + ":";
      for (size_t row = 0; row < table->rowCount; ++row) text += " " + table->keyText(row);
      text += "\n";
    }
  }
  return text;
}

}  // namespace crm::testing
