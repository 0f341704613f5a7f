// Declarations and domain rules: each script adds to the shared schema and
// must report exactly the listed codes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/test_support.h"

namespace crm::testing {
namespace {

struct DeclCase {
  const char* name;
  const char* script;
  std::vector<std::string> codes;
};

const char* const kChannels = R"(
channel email { reachable: has(customer.email) && "email" in customer.consent }
channel sms { reachable: "sms" in customer.consent  quiet: 21:00..08:00 local  capacity: 100 per day }
)";

TEST(CheckerDeclarations, DomainRules) {
  const DeclCase cases[] = {
      {"valid campaign",
       "segment big = customer.orders.sum(o, o.total) >= 500.00\n"
       "recommend promos(limit: int = 3): list<Product> = catalog.filter(p, p.on_promo)"
       ".top(limit, p, p.price)\n"
       "campaign c { audience: big  channels: email, sms  offer: promos(2)  priority: 10 }",
       {}},
      {"audience not bool", "campaign c { audience: 1  channels: email }", {"E0201"}},
      {"audience missing", "campaign c { channels: email }", {"E0114"}},
      {"channels missing", "campaign c { audience: true }", {"E0114"}},
      {"unknown channel", "campaign c { audience: true  channels: emial }", {"E0302"}},
      {"unknown property", "campaign c { audience: true  channels: email  priorty: 3 }",
       {"E0113"}},
      {"duplicate property", "campaign c { audience: true  audience: false  channels: email }",
       {"E0109"}},
      {"priority not int", "campaign c { audience: true  channels: email  priority: \"high\" }",
       {"E0201"}},
      {"offer not catalog list",
       "campaign c { audience: true  channels: email  offer: customer.orders }", {"E0301"}},
      {"recommend wrong result",
       "recommend r(): list<Order> = customer.orders\n"
       "campaign c { audience: true  channels: email  offer: r() }",
       {"E0301", "E0301"}},
      {"recommend wrong argument",
       "recommend r(limit: int): list<Product> = catalog.top(limit, p, p.price)\n"
       "campaign c { audience: true  channels: email  offer: r(\"3\") }",
       {"E0201"}},
      {"recommend wrong count",
       "recommend r(limit: int): list<Product> = catalog.top(limit, p, p.price)\n"
       "campaign c { audience: true  channels: email  offer: r() }",
       {"E0204"}},
      {"unknown trigger in campaign",
       "campaign c { audience: true  channels: email  trigger: cart }", {"E0309"}},
      {"segment cycle", "segment a = b\nsegment b = a\ncampaign c { audience: a  channels: email }",
       {"E0105"}},
      {"self cycle", "segment a = a || true\ncampaign c { audience: a  channels: email }",
       {"E0105"}},
      {"recommendation calls itself",
       "recommend r(): list<Product> = r()\n"
       "campaign c { audience: true  channels: email  offer: r() }",
       {"E0105"}},
      {"let cycle through recommendation",
       "let n = r().size()\nrecommend r(): list<Product> = n > 0 ? catalog : catalog\n"
       "campaign c { audience: n > 0  channels: email }",
       {"E0105"}},
      {"let cycle through segment",
       "let x = s ? 1 : 2\nsegment s = x > 1\ncampaign c { audience: s  channels: email }",
       {"E0105"}},
      {"duplicate declaration",
       "segment a = true\nsegment a = false\ncampaign c { audience: a  channels: email }",
       {"E0101"}},
      {"segment not bool", "segment a = customer.orders\ncampaign c { audience: a  channels: email }",
       {"E0201"}},
      {"let annotation mismatch",
       "let n: int = \"x\"\ncampaign c { audience: n > 0  channels: email }", {"E0201"}},
      {"pressure window not duration", "pressure { at most 3 per 7 rolling }", {"E0303"}},
      {"pressure window zero", "pressure { at most 3 per 0d }", {"E0303"}},
      {"pressure calendar unit", "pressure { at most 1 per calendar fortnight }", {"E0303"}},
      {"pressure unknown channel", "pressure { at most 1 per 1d on fax }", {"E0302"}},
      {"pressure unknown group", "pressure { at most 1 per 1d in group promo }", {"E0309"}},
      {"pressure rank key", "pressure { rank by popularity desc }", {"E0308"}},
      {"pressure exempt", "pressure { exempt nobody }", {"E0309"}},
      {"pressure second rank", "pressure { rank by priority desc  rank by cost }", {"E0109"}},
      {"transactional not literal",
       "campaign c { audience: true  channels: email  transactional: customer.score > 1.0 }",
       {"E0308"}},
      {"pressure valid",
       "campaign c { audience: true  channels: email  group: promo }\n"
       "pressure { at most 3 per 7d rolling  at most 1 per calendar day on sms  "
       "at most 2 per 30d in group promo  rank by priority desc  exempt transactional, c }",
       {}},
      {"transactional offer",
       "recommend r(): list<Product> = catalog\n"
       "campaign c { audience: true  channels: email  transactional: true  offer: r() }",
       {"E0308"}},
      {"transactional capped group",
       "campaign c { audience: true  channels: email  transactional: true  group: promo }\n"
       "pressure { at most 2 per 30d in group promo }",
       {"E0308"}},
      {"transactional uncapped group",
       "campaign c { audience: true  channels: email  transactional: true  group: service }", {}},
      {"campaign schedule valid",
       "campaign c { audience: true  channels: email  delay: 15d  send_at: 14:00  when_quiet: drop }",
       {}},
      {"campaign when_quiet", "campaign c { audience: true  channels: email  when_quiet: later }",
       {"E0308"}},
      {"campaign send_at form", "campaign c { audience: true  channels: email  send_at: 14 }",
       {"E0308"}},
      {"campaign send_at hour", "campaign c { audience: true  channels: email  send_at: 25:00 }",
       {"E0013"}},
      {"campaign delay not literal",
       "let d = 2d\ncampaign c { audience: true  channels: email  delay: d }", {"E0308"}},
      {"channel send_days", "channel fax { reachable: true  send_days: mon, fry }", {"E0308"}},
      {"channel time_zone literal", "let z = \"UTC\"\nchannel fax { reachable: true  time_zone: z }",
       {"E0308"}},
      {"channel time_zone unknown",
       "channel fax { reachable: true  quiet: 10:00..20:00  time_zone: \"Not/AZone\" }", {"E0308"}},
      {"calendar periods", "pressure { at most 3 per 4 calendar days }", {}},
      {"calendar periods zero", "pressure { at most 3 per 0 calendar days }", {"E0303"}},
      {"calendar unit", "pressure { at most 3 per 2 calendar fortnights }", {"E0303"}},
      {"channel capacity unit", "channel fax { reachable: true  capacity: 3 per fortnight }",
       {"E0308"}},
      {"channel quiet form", "channel fax { reachable: true  quiet: 21 }", {"E0308"}},
      {"channel reachable optional", "channel fax { reachable: customer.email != null && customer.age > 1 }",
       {"E0203"}},
      {"trigger valid",
       "trigger cart on event(kind == \"cart\") as e when e.at within 1d after 2h "
       "unless event(kind == \"purchase\") within 1d\n"
       "campaign c { audience: true  channels: email  trigger: cart }",
       {}},
      {"trigger on customer list",
       "trigger bought on orders(total > 100) as o when o.at within 7d\n"
       "campaign c { audience: true  channels: email  trigger: bought }",
       {}},
      {"trigger unknown stream", "trigger t on clicks(true) as e", {"E0307"}},
      {"trigger after not duration", "trigger t on event(kind == \"x\") as e after 2", {"E0303"}},
      {"trigger condition not bool", "trigger t on event(kind) as e", {"E0201"}},
      {"trigger unknown implicit field", "trigger t on event(knd == \"x\") as e", {"E0102"}},
      {"test valid",
       "segment big = customer.orders.sum(o, o.total) >= 500.00\n"
       "campaign c { audience: big  channels: email }\n"
       "test \"t\" { now: 2026-12-01T09:00:00Z\n"
       "  customer { id: \"c1\", tier: gold, consent: [\"email\"], "
       "orders: [{ at: 2026-11-01T10:00:00Z, total: 600.00, lines: [] }] }\n"
       "  catalog: [{ sku: \"p1\", department: \"food\", price: 2.50, on_promo: true }]\n"
       "  expect send c via email\n  expect segment big\n  expect offer c contains \"p1\" }",
       {}},
      {"test unknown campaign", "test \"t\" { now: 2026-12-01T00:00:00Z  expect send nope }", {"E0309"}},
      {"test unknown channel",
       "campaign c { audience: true  channels: email }\ntest \"t\" { now: 2026-12-01T00:00:00Z  expect send c via fax }",
       {"E0302"}},
      {"test unknown field", "test \"t\" { now: 2026-12-01T00:00:00Z  customer { idd: \"1\" }  expect true }", {"E0104"}},
      {"test wrong field type", "test \"t\" { now: 2026-12-01T00:00:00Z  customer { age: \"old\" }  expect true }", {"E0201"}},
      {"test now not timestamp", "test \"t\" { now: 2026-12-01  expect true }", {"E0201"}},
      {"test unknown property", "test \"t\" { nw: 2026-12-01T00:00:00Z  expect true }", {"E0114", "E0113"}},
      {"test without expectation", "test \"t\" { now: 2026-12-01T00:00:00Z }", {"E0114"}},
      {"test name twice",
       "test \"t\" { now: 2026-12-01T00:00:00Z  expect true }\n"
       "test \"t\" { now: 2026-12-02T00:00:00Z  expect true }",
       {"E0101"}},
      {"test without now", "test \"t\" { expect true }", {"E0114"}},
      {"test expectation not bool", "test \"t\" { now: 2026-12-01T00:00:00Z  expect customer.orders }", {"E0201"}},
      {"source valid",
       "source customers: Customer from csv(\"c.csv\") { header: true  separator: \";\" "
       "columns { customer_id -> id: string  age  email: string? } }",
       {}},
      {"source unknown field",
       "source customers: Customer from csv(\"c.csv\") { columns { id  agee } }", {"E0304"}},
      {"source incompatible type",
       "source customers: Customer from csv(\"c.csv\") { columns { id  age: string } }",
       {"E0305"}},
      {"source list field",
       "source customers: Customer from csv(\"c.csv\") { columns { orders } }", {"E0305"}},
      {"source unknown format", "source s: Customer from excel(\"c.xlsx\") { }", {"E0306"}},
      {"source bad separator",
       "source s: Customer from csv(\"c.csv\") { separator: \"::\" }", {"E0306"}},
      {"source unknown entity", "source s: Custmer from csv(\"c.csv\") { }", {"E0103"}},
      {"source unknown option", "source s: Customer from csv(\"c.csv\") { headers: true }",
       {"E0113"}},
      {"source row number field", "source s: Customer from csv(\"c.csv\") { row_number: nr }",
       {"E0304"}},
      {"source row number type", "source s: Customer from csv(\"c.csv\") { row_number: score }",
       {"E0305"}},
      {"source row number also bound",
       "source s: Customer from csv(\"c.csv\") { row_number: id  columns { n -> id } }",
       {"E0109"}},
      {"source quote of two characters",
       "source s: Customer from csv(\"c.csv\") { quote: \"ab\" }", {"E0306"}},
      {"source unknown time zone",
       "source s: Customer from csv(\"c.csv\") { time_zone: \"Mars/Base\" }", {"E0306"}},
      {"source time zone in lower case",
       "source s: Customer from csv(\"c.csv\") { time_zone: \"utc\" }", {"E0306"}},
      {"source known time zone",
       "source s: Customer from csv(\"c.csv\") { time_zone: \"Europe/Paris\" }", {}},
      {"unknown type", "record R { x: strng }", {"E0103"}},
      {"map key type", "record R { x: map<list<int>, int> }", {"E0208"}},
      {"type argument count", "record R { x: list<int, int> }", {"E0208"}},
      {"duplicate field", "record R { x: int  x: int }", {"E0109"}},
      {"duplicate enum value", "enum E { a, b, a }", {"E0109"}},
      {"invalid key", "entity T key nope { id: string }", {"E0110"}},
      {"key of wrong type", "entity T key id { id: list<int> }", {"E0110"}},
      {"second customer", "customer entity Other key id { id: string }", {"E0111"}},
      {"levels off catalog", "entity T key id levels(a) { id: string  a: string }", {"E0115"}},
      {"unknown level", "record R { x: int }\ncatalog entity C2 key id levels(dept) { id: string }",
       {"E0111", "E0115"}},
  };
  for (const auto& c : cases) {
    auto compilation = checkText(std::string(kPrelude) + kChannels + c.script, {});
    auto codes = codesOf(*compilation);
    std::vector<std::string> relevant;
    for (const auto& code : codes) {
      if (code != "W0101") relevant.push_back(code);
    }
    EXPECT_EQ(relevant, c.codes) << c.name << "\n" << summarize(*compilation);
  }
}

TEST(CheckerDeclarations, MissingRoleEntitiesAreReported) {
  auto compilation = checkText("segment s = customer.orders.size() > 0 && catalog.size() > 0");
  auto codes = codesOf(*compilation);
  ASSERT_EQ(codes.size(), 3u) << summarize(*compilation);
  EXPECT_EQ(codes[0], "W0101");
  EXPECT_EQ(codes[1], "E0108");
  EXPECT_EQ(codes[2], "E0108");
}

TEST(CheckerDeclarations, CycleMessageNamesTheCycle) {
  auto compilation = checkText("segment a = b\nsegment b = c\nsegment c = a\n");
  std::string text = summarize(*compilation);
  EXPECT_NE(text.find("`a` -> `b` -> `c` -> `a`"), std::string::npos) << text;
}

TEST(CheckerDeclarations, Lints) {
  struct LintCase {
    const char* script;
    std::vector<std::string> codes;
  };
  const LintCase cases[] = {
      {"segment unused = true", {"W0101"}},
      {"// crm:allow(W0101)\nsegment unused = true", {}},
      {"segment unused = true // crm:allow(W0101)", {}},
      {"let x = 1 < 2\nsegment s = x\ncampaign c { audience: s  channels: email }", {"W0103"}},
      {"segment s = customer.score == customer.score\ncampaign c { audience: s  channels: email }",
       {"W0103"}},
      {"channel off { reachable: false }\ncampaign c { audience: true  channels: off }",
       {"W0102"}},
      {"channel full { reachable: true  capacity: 0 per day }\n"
       "campaign c { audience: true  channels: full }",
       {"W0102"}},
      {"segment s = customer.orders.exists(customer, true)\n"
       "campaign c { audience: s  channels: email }",
       {"W0104"}},
      {"segment s = customer.orders.exists(o, o.lines.exists(o, true))\n"
       "campaign c { audience: s  channels: email }",
       {"W0104"}},
      {"segment big = true\nsegment s = customer.orders.exists(big, true)\n"
       "campaign c { audience: s && big  channels: email }",
       {"W0104"}},
  };
  for (const auto& c : cases) {
    auto compilation = checkText(std::string(kPrelude) + kChannels + c.script, {});
    EXPECT_EQ(codesOf(*compilation), c.codes) << c.script << "\n" << summarize(*compilation);
  }
}

TEST(CheckerDeclarations, ImportsResolveAcrossFiles) {
  auto dir = std::filesystem::temp_directory_path() / "crm_import_test";
  std::filesystem::create_directories(dir / "lib");
  {
    std::ofstream schema(dir / "lib" / "schema.crm");
    schema << kPrelude << kChannels;
    std::ofstream main(dir / "main.crm");
    main << "import \"lib/schema.crm\"\n"
            "campaign c { audience: big  channels: email }\n"
            "segment big = customer.orders.size() > 2\n";
    std::ofstream broken(dir / "broken.crm");
    broken << "import \"lib/nope.crm\"\nsegment s = true // crm:allow(W0101)\n";
  }
  auto good = driver::checkScripts({{(dir / "main.crm").string(), std::nullopt}});
  EXPECT_EQ(codesOf(*good), std::vector<std::string>{}) << summarize(*good);
  auto bad = driver::checkScripts({{(dir / "broken.crm").string(), std::nullopt}});
  EXPECT_EQ(codesOf(*bad), std::vector<std::string>{"E0106"}) << summarize(*bad);
  std::filesystem::remove_all(dir);
}

TEST(CheckerDeclarations, ImportCyclesAreHarmless) {
  auto dir = std::filesystem::temp_directory_path() / "crm_import_cycle_test";
  std::filesystem::create_directories(dir);
  {
    std::ofstream a(dir / "a.crm");
    a << "import \"b.crm\"\nsegment a = b // crm:allow(W0101)\n";
    std::ofstream b(dir / "b.crm");
    b << "import \"a.crm\"\nsegment b = true\n";
  }
  auto compilation = driver::checkScripts({{(dir / "a.crm").string(), std::nullopt}});
  EXPECT_EQ(codesOf(*compilation), std::vector<std::string>{}) << summarize(*compilation);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace crm::testing
