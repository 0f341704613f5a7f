#include "tests/support/report_fixture.h"

#include <cctype>
#include <fstream>

#include "runtime/time.h"
#include "tests/support/test_support.h"

namespace crm::testing {
namespace {

namespace fs = std::filesystem;

// Five customers and four campaigns that meet every outcome once: a
// transactional message, sms capacity for one, a pressure cap, an empty
// offer, no reachable channel, quiet hours and a division by zero.
const char* const kScript = R"(
customer entity Customer key id {
  id: string
  email: string?
  phone: string?
  score: int
  likes: list<Like>
}
entity Like key like_id {
  like_id: string
  customer_id: string
  product: Product
}
catalog entity Product key product_id levels(department > product_type) {
  product_id: string
  department: string
  product_type: string
}
source customers: Customer from csv("customers.csv") {
  null_values: [""]
  columns { id  email  phone  score }
}
source likes: Like from csv("likes.csv") {
  parent: customer_id
  columns { like_id  customer_id  product }
}
source products: Product from csv("products<&>.csv") {
  columns { product_id  department  product_type }
}

channel sms { reachable: has(customer.phone)  capacity: 1 per day }
channel email { reachable: has(customer.email) }
channel push { reachable: has(customer.phone)  quiet: 06:00..18:00 }

segment engaged = customer.score >= 2
segment top = customer.score >= 5
segment phone_owner = has(customer.phone)

campaign receipt { audience: top  channels: email  transactional: true  priority: 20 }
campaign promo {
  audience: 10 / customer.score >= 2
  channels: sms, email
  offer: customer.likes.map(l, l.product)
  priority: 10
}
campaign reminder { audience: engaged  channels: email  priority: 5 }
campaign night { audience: customer.score >= 1  channels: push  when_quiet: drop  priority: 1 }

pressure { at most 1 per 1d }
)";

void writeFile(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

ReportRun::ReportRun(const fs::path& dir, run::Engine engine) {
  fs::create_directories(dir);
  scriptPath = dir / "script.crm";
  writeFile(scriptPath, kScript);
  writeFile(dir / "customers.csv", std::string("id,email,phone,score\n"
                                               "c1,c1@example.test,555-0101,5\n"
                                               "c2,c2@example.test,,3\n"
                                               "c3,,555-0103,2\n"
                                               "c4,,,1\n") +
                                       kHostileCustomer + ",c5@example.test,555-0105,0\n");
  writeFile(dir / "likes.csv", std::string("like_id,customer_id,product\n"
                                           "l1,c1,p1\n"
                                           "l2,c1,p3\n"
                                           "l3,c2,p1\n"
                                           "l4,c2,") +
                                   kHostileProduct + "\nl5,c3,p2\nl6," + kHostileCustomer +
                                   ",p1\n");
  writeFile(dir / kHostileSourceFile, std::string("product_id,department,product_type\n"
                                                  "p1,Produce,fruit\n"
                                                  "p2,Produce,vegetables\n"
                                                  "p3,Dairy,milk\n") +
                                          kHostileProduct + "," + kHostileCategory + ",bread\n");

  prepared = run::prepareScript(scriptPath.string(), load::LoadOptions{});
  if (!prepared.ok()) {
    problem = summarize(*prepared.compilation);
    for (const auto& error : prepared.loadReport.errors)
      problem += error + "\n";
    for (const auto& p : prepared.loadReport.problems)
      problem += p.location + ": " + p.message + "\n";
    return;
  }
  run::RunOptions options;
  options.engine = engine;
  options.asOf = *runtime::parseTimestamp("2024-05-01T12:00:00Z");
  result = run::runProgram(*prepared.program, *prepared.store, options);
  if (!result.engineError.empty()) {
    problem = result.engineError;
    return;
  }
  info = report::describeRun(prepared);
  info.asOf = options.asOf;
  info.engine = engine;
  info.threads = 1;
  html = report::buildReport(*prepared.program, *prepared.store, result, info);
}

std::vector<std::pair<std::string, ChartValues>> expectedCharts() {
  const std::string noCapacity = "no capacity on sms";
  const std::string capped = "capped by `at most 1 per 1d`";
  return {
      {"segments",
       {{{"engaged", "members"}, 3}, {{"top", "members"}, 1}, {{"phone_owner", "members"}, 3}}},
      {"decisions",
       {{{"receipt", "sms"}, 0},
        {{"receipt", "email"}, 1},
        {{"receipt", "push"}, 0},
        {{"promo", "sms"}, 1},
        {{"promo", "email"}, 1},
        {{"promo", "push"}, 0},
        {{"reminder", "sms"}, 0},
        {{"reminder", "email"}, 0},
        {{"reminder", "push"}, 0},
        {{"night", "sms"}, 0},
        {{"night", "email"}, 0},
        {{"night", "push"}, 0}}},
      {"suppressions", {{{"receipt", "no offer"}, 0},     {{"receipt", "no reachable channel"}, 0},
                        {{"receipt", "quiet hours"}, 0},  {{"receipt", noCapacity}, 0},
                        {{"receipt", capped}, 0},         {{"receipt", "error"}, 0},
                        {{"promo", "no offer"}, 1},       {{"promo", "no reachable channel"}, 0},
                        {{"promo", "quiet hours"}, 0},    {{"promo", noCapacity}, 1},
                        {{"promo", capped}, 0},           {{"promo", "error"}, 1},
                        {{"reminder", "no offer"}, 0},    {{"reminder", "no reachable channel"}, 1},
                        {{"reminder", "quiet hours"}, 0}, {{"reminder", noCapacity}, 0},
                        {{"reminder", capped}, 2},        {{"reminder", "error"}, 0},
                        {{"night", "no offer"}, 0},       {{"night", "no reachable channel"}, 2},
                        {{"night", "quiet hours"}, 2},    {{"night", noCapacity}, 0},
                        {{"night", capped}, 0},           {{"night", "error"}, 0}}},
      {"messages-per-customer",
       {{{"0", "customers"}, 3}, {{"1", "customers"}, 1}, {{"2", "customers"}, 1}}},
      {"capacity",
       {{{"sms", "messages"}, 1}, {{"email", "messages"}, 2}, {{"push", "messages"}, 0}}},
      {"products-promo",
       {{{"p1", "messages"}, 2}, {{"p3", "messages"}, 1}, {{kHostileProduct, "messages"}, 1}}},
      {"categories-promo",
       {{{"Produce", "messages"}, 2},
        {{"Dairy", "messages"}, 1},
        {{kHostileCategory, "messages"}, 1}}},
  };
}

std::string unescapeHtml(std::string_view text) {
  static const std::pair<std::string_view, std::string_view> kNamed[] = {
      {"amp;", "&"},   {"lt;", "<"},   {"gt;", ">"},
      {"quot;", "\""}, {"apos;", "'"}, {"nbsp;", "\xC2\xA0"}};
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    std::string_view rest = text.substr(i + 1);
    bool decoded = false;
    for (const auto& [name, replacement] : kNamed) {
      if (rest.substr(0, name.size()) == name) {
        out += replacement;
        i += name.size();
        decoded = true;
        break;
      }
    }
    size_t semicolon = rest.find(';');
    if (!decoded && !rest.empty() && rest[0] == '#' && semicolon != std::string_view::npos) {
      bool hex = rest.size() > 1 && (rest[1] == 'x' || rest[1] == 'X');
      std::string digits(rest.substr(hex ? 2 : 1, semicolon - (hex ? 2 : 1)));
      unsigned long code = std::stoul(digits, nullptr, hex ? 16 : 10);
      // Encodes the code point as UTF-8.
      if (code < 0x80) {
        out += static_cast<char>(code);
      } else if (code < 0x800) {
        out += static_cast<char>(0xC0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3F));
      } else if (code < 0x10000) {
        out += static_cast<char>(0xE0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
      } else {
        out += static_cast<char>(0xF0 | (code >> 18));
        out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
      }
      i += semicolon + 1;
      decoded = true;
    }
    if (!decoded)
      out += '&';
  }
  return out;
}

namespace {

bool isNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == ':';
}

std::string lower(std::string text) {
  for (char& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Reads the value of an attribute after its `=`, quoted or not, and moves
// i past it.
std::string readAttributeValue(const std::string& html, size_t& i) {
  if (i < html.size() && (html[i] == '"' || html[i] == '\'')) {
    char quote = html[i++];
    size_t close = html.find(quote, i);
    if (close == std::string::npos) {
      close = html.size();
    }
    std::string value = html.substr(i, close - i);
    i = close + 1;
    return value;
  }
  size_t start = i;
  while (i < html.size() && html[i] != '>' &&
         std::isspace(static_cast<unsigned char>(html[i])) == 0) {
    ++i;
  }
  return html.substr(start, i - start);
}

// Reads the tag that starts at html[i] == '<' and moves i past it. Returns
// false for comments, doctypes and other markup that is no start or end tag.
bool readTag(const std::string& html, size_t& i, Tag& tag, bool& end) {
  size_t start = i;
  ++i;
  end = i < html.size() && html[i] == '/';
  if (end) {
    ++i;
  }

  size_t nameStart = i;
  while (i < html.size() && isNameChar(html[i])) {
    ++i;
  }
  if (i == nameStart) {
    size_t close = html.find('>', start);
    i = close == std::string::npos ? html.size() : close + 1;
    return false;
  }
  tag.name = lower(html.substr(nameStart, i - nameStart));

  tag.attributes.clear();
  while (i < html.size() && html[i] != '>') {
    if (std::isspace(static_cast<unsigned char>(html[i])) != 0 || html[i] == '/') {
      ++i;
      continue;
    }
    size_t attributeStart = i;
    while (i < html.size() && html[i] != '=' && html[i] != '>' &&
           std::isspace(static_cast<unsigned char>(html[i])) == 0 && html[i] != '/') {
      ++i;
    }
    std::string name = lower(html.substr(attributeStart, i - attributeStart));
    std::string value;
    if (i < html.size() && html[i] == '=') {
      ++i;
      value = readAttributeValue(html, i);
    }
    tag.attributes[name] = unescapeHtml(value);
  }
  ++i;
  return true;
}

}  // namespace

std::vector<Tag> tagsWithin(const std::string& html, const std::string& id) {
  std::vector<Tag> tags;
  std::string outer;
  size_t i = 0;
  while (i < html.size()) {
    if (html[i] != '<') {
      ++i;
      continue;
    }
    Tag tag;
    bool end = false;
    if (!readTag(html, i, tag, end))
      continue;
    if (outer.empty()) {
      auto it = tag.attributes.find("id");
      if (end || it == tag.attributes.end() || it->second != id)
        continue;
      outer = tag.name;
      tags.push_back(std::move(tag));
      continue;
    }
    if (end && tag.name == outer)
      break;
    if (!end)
      tags.push_back(std::move(tag));
  }
  return tags;
}

ChartValues dataValues(const std::string& html, const std::string& id) {
  ChartValues values;
  for (const auto& tag : tagsWithin(html, id)) {
    auto value = tag.attributes.find("data-value");
    if (value == tag.attributes.end())
      continue;
    auto label = tag.attributes.find("data-label");
    auto series = tag.attributes.find("data-series");
    std::pair<std::string, std::string> key{label != tag.attributes.end() ? label->second : "",
                                            series != tag.attributes.end() ? series->second : ""};
    values[key] = std::stoll(value->second);
  }
  return values;
}

}  // namespace crm::testing
