// Channels, pressure caps, arbitration and the contact history through the
// whole run: send times across daylight-saving changes, send windows and
// quiet hours in the customer's time zone, rolling and calendar windows,
// capacity shared by all customers, transactional messages, handled
// trigger events. Every expected value is worked out by hand, on every
// engine.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "run/prepare.h"
#include "run/run.h"
#include "runtime/time.h"
#include "tests/support/engines.h"
#include "tests/support/test_support.h"

namespace crm {
namespace {

namespace fs = std::filesystem;

// The schema every test shares: customers with an optional time zone, a
// weekly preference and e-mail consent, and their orders.
const char* const kSchema = R"(
customer entity Customer key id {
  id: string
  email: string?
  phone: string?
  time_zone: string?
  max_per_week: int?
  consent_email: string?
  orders: list<Order>
}
entity Order key order_id {
  order_id: string
  customer_id: string
  amount: decimal
  at: timestamp
}
source customers: Customer from csv("customers.csv") {
  null_values: [""]
  time_zone: "America/New_York"
  columns { id  email  phone  time_zone  max_per_week  consent_email }
}
source orders: Order from csv("orders.csv") {
  parent: customer_id
  columns { order_id  customer_id  amount  at }
}
)";

int64_t at(const char* text) { return *runtime::parseTimestamp(text); }

history::Contact contact(std::string customer, std::string campaign, std::string channel,
                         const char* when, std::string group = "", bool transactional = false) {
  history::Contact c;
  c.customer = std::move(customer);
  c.campaign = std::move(campaign);
  c.channel = std::move(channel);
  c.group = std::move(group);
  c.at = at(when);
  c.transactional = transactional;
  return c;
}

class PressureTest : public ::testing::TestWithParam<run::Engine> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("crm_pressure_test_" + std::to_string(::getpid()) + "_" +
            std::to_string(reinterpret_cast<uintptr_t>(this)));
    fs::create_directories(dir_);
    customers("id,email,phone,time_zone,max_per_week,consent_email\n"
              "c1,c1@example.test,555,,,granted\n");
    orders("order_id,customer_id,amount,at\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void customers(const std::string& csv) { write("customers.csv", csv); }
  void orders(const std::string& csv) { write("orders.csv", csv); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  // Runs `rules` over the schema at `asOf` and returns the decisions as
  // JSON lines.
  std::string run(const std::string& rules, const char* asOf,
                  std::vector<history::Contact> contacts = {},
                  std::optional<int64_t> previousRun = std::nullopt,
                  std::optional<std::string> traceCustomer = std::nullopt,
                  const std::map<std::string, double>* conversionRates = nullptr) {
    write("script.crm", std::string(kSchema) + rules);
    prepared_ = run::prepareScript((dir_ / "script.crm").string(), load::LoadOptions{});
    EXPECT_TRUE(prepared_.ok()) << testing::summarize(*prepared_.compilation);
    if (!prepared_.ok()) return "";
    contacts_ = std::move(contacts);
    run::RunOptions options;
    options.engine = GetParam();
    options.asOf = at(asOf);
    options.contacts = &contacts_;
    options.previousRun = previousRun;
    options.conversionRates = conversionRates;
    if (traceCustomer) {
      const runtime::Table& table = *prepared_.store->table("Customer");
      for (uint32_t row = 0; row < table.rowCount; ++row) {
        if (table.keyText(row) == *traceCustomer) options.traceCustomer = row;
      }
    }
    result_ = run::runProgram(*prepared_.program, *prepared_.store, options);
    return run::formatDecisions(run::OutputFormat::Jsonl, *prepared_.program, *prepared_.store,
                                result_, options.asOf);
  }

  // The trace steps about `name`, as "outcome | detail".
  std::vector<std::string> traced(const std::string& stage, const std::string& name) const {
    std::vector<std::string> found;
    for (const auto& step : result_.trace) {
      if (step.stage == stage && step.name == name) found.push_back(step.outcome + " | " + step.detail);
    }
    return found;
  }

  fs::path dir_;
  run::Prepared prepared_;
  run::RunResult result_;
  std::vector<history::Contact> contacts_;
};

bool has(const std::string& out, const std::string& text) {
  return out.find(text) != std::string::npos;
}

TEST_P(PressureTest, DelayCrossesDaylightSavingEnd) {
  // 2021-10-24 17:00 in New York is EDT (-04:00); clocks go back on
  // 2021-11-07, so 2021-11-08 14:00 is EST (-05:00), 19:00 UTC.
  std::string out = run(R"(
channel email { reachable: has(customer.email) }
campaign later { audience: true  channels: email  delay: 15d  send_at: 14:00 }
)",
                        "2021-10-24T17:00:00-04:00");
  EXPECT_EQ(out,
            R"({"customer":"c1","campaign":"later","status":"send","channel":"email",)"
            R"("send_at":"2021-11-08T19:00:00Z","offer":[],"priority":0,"rank":1,)"
            R"("as_of":"2021-10-24T21:00:00Z"})"
            "\n");
}

TEST_P(PressureTest, SaturdayEveningInTokyoWaitsForMondayMorning) {
  customers("id,email,phone,time_zone,max_per_week,consent_email\n"
            "c1,c1@example.test,,Asia/Tokyo,,granted\n");
  // 2021-10-23 was a Saturday; 18:13 JST is 09:13 UTC. Monday 09:00 JST is
  // 2021-10-25T00:00Z.
  std::string out = run(R"(
channel email {
  reachable: true
  send_window: 09:00..18:00 local
  send_days: mon, tue, wed, thu, fri
}
campaign hello { audience: true  channels: email }
)",
                        "2021-10-23T18:13:00+09:00");
  EXPECT_TRUE(has(out, R"("send_at":"2021-10-25T00:00:00Z","deferred":true)")) << out;
}

TEST_P(PressureTest, QuietHoursDeferOrDropPerCampaign) {
  // 22:30 in New York (EST in January) is quiet until 08:00 the next day.
  std::string out = run(R"(
channel sms { reachable: true  quiet: 21:00..08:00 local }
campaign waits { audience: true  channels: sms }
campaign drops { audience: true  channels: sms  when_quiet: drop }
)",
                        "2024-01-10T22:30:00-05:00");
  EXPECT_TRUE(has(out, R"("campaign":"waits","status":"send","channel":"sms",)"
                       R"("send_at":"2024-01-11T13:00:00Z","deferred":true)"))
      << out;
  EXPECT_TRUE(has(out, R"("campaign":"drops","status":"dropped","offer":[],"priority":0,)"
                       R"("reason":"quiet hours")"))
      << out;
}

TEST_P(PressureTest, ACustomerWithoutATimeZoneUsesTheSourceDefault) {
  customers("id,email,phone,time_zone,max_per_week,consent_email\n"
            "c1,a@example.test,,,,granted\n"
            "c2,b@example.test,,Europe/Paris,,granted\n");
  std::string out = run(R"(
channel email { reachable: true }
campaign noon { audience: true  channels: email  send_at: 12:00 }
)",
                        "2024-03-01T06:00:00Z");
  // c1 in New York (EST): 12:00 is 17:00 UTC; c2 in Paris (CET): 11:00 UTC.
  EXPECT_TRUE(has(out, R"("customer":"c1","campaign":"noon","status":"send","channel":"email",)"
                       R"("send_at":"2024-03-01T17:00:00Z")"))
      << out;
  EXPECT_TRUE(has(out, R"("customer":"c2","campaign":"noon","status":"send","channel":"email",)"
                       R"("send_at":"2024-03-01T11:00:00Z")"))
      << out;
}

TEST_P(PressureTest, UnknownTimeZoneCountsOnce) {
  customers("id,email,phone,time_zone,max_per_week,consent_email\n"
            "c1,a@example.test,,Mars/Olympus,,granted\n"
            "c2,b@example.test,,Europe/Paris,,granted\n");
  std::string out = run(R"(
channel email { reachable: true }
campaign first { audience: true  channels: email  priority: 2 }
campaign second { audience: true  channels: email  priority: 1 }
)",
                        "2024-03-01T06:00:00Z");
  // Both campaigns drop for c1, but the customer has one bad field.
  EXPECT_TRUE(has(out, R"("customer":"c1","campaign":"first","status":"dropped",)")) << out;
  EXPECT_TRUE(has(out, R"("customer":"c1","campaign":"second","status":"dropped",)")) << out;
  EXPECT_TRUE(has(out, R"("reason":"error: unknown time zone")")) << out;
  EXPECT_TRUE(has(out, R"("customer":"c2","campaign":"first","status":"send",)")) << out;
  EXPECT_EQ(result_.errorCount, 1u);
  EXPECT_EQ(result_.errorsByRule["time_zone"], 1u);
  ASSERT_EQ(result_.errors.size(), 1u);
  EXPECT_EQ(result_.errors[0].message,
            "the customer's time_zone 'Mars/Olympus' is not an IANA time zone such as "
            "America/New_York");
}

TEST_P(PressureTest, NestedLoopsStopAtVisitLimit) {
  // 3,200 orders: the inner loop runs 3,200 times for each outer element,
  // 10,243,200 visits in all, over the limit of 10,000,000. The JIT's native
  // loops count their visits and leave the customer to the interpreter,
  // which reports the limit.
  std::string rows = "order_id,customer_id,amount,at\n";
  for (int i = 0; i < 3200; ++i) {
    rows += "o" + std::to_string(i) + ",c1,1.00,2024-02-01T10:00:00Z\n";
  }
  orders(rows);
  std::string out = run(R"(
segment negative_pair = customer.orders.exists(a, customer.orders.exists(b, b.amount < 0.00))
channel email { reachable: true }
campaign pairs { audience: negative_pair  channels: email }
)",
                        "2024-03-01T06:00:00Z");
  EXPECT_TRUE(has(out, R"("customer":"c1","campaign":"pairs","status":"dropped",)")) << out;
  ASSERT_EQ(result_.errors.size(), 1u);
  EXPECT_EQ(result_.errors[0].rule, "negative_pair");
  EXPECT_EQ(result_.errors[0].message,
            "`exists` would visit more than 10000000 list elements in one evaluation; nest "
            "fewer macros or filter the lists first");
}

TEST_P(PressureTest, RollingAndCalendarWindowsCountDifferently) {
  customers("id,email,phone,time_zone,max_per_week,consent_email\n"
            "c1,c1@example.test,,UTC,,granted\n");
  std::vector<history::Contact> past = {
      contact("c1", "old", "email", "2024-04-14T00:30:00Z"),
      contact("c1", "old", "email", "2024-04-15T12:00:00Z"),
      contact("c1", "old", "email", "2024-04-16T20:00:00Z"),
  };
  const char* const now = "2024-04-17T01:00:00Z";
  // 72 hours before 04-17T01:00 is 04-14T01:00, after the first message.
  std::string rolling = run(R"(
channel email { reachable: true }
campaign next { audience: true  channels: email }
pressure { at most 2 per 72h rolling }
)",
                            now, past, std::nullopt, "c1");
  EXPECT_TRUE(has(rolling, R"("status":"dropped")")) << rolling;
  EXPECT_TRUE(has(rolling, R"("reason":"capped by `at most 2 per 3d rolling`","rule":"at most 2 per 3d rolling","winner":"history")"))
      << rolling;
  ASSERT_EQ(traced("cap", "at most 2 per 3d rolling").size(), 1u);
  EXPECT_EQ(traced("cap", "at most 2 per 3d rolling")[0].rfind("capped on email | 2 of 2", 0), 0u)
      << traced("cap", "at most 2 per 3d rolling")[0];

  // The current UTC day and the three before it: 04-14 to 04-17, all three.
  std::string calendar = run(R"(
channel email { reachable: true }
campaign next { audience: true  channels: email }
pressure { at most 3 per 4 calendar days }
)",
                             now, past, std::nullopt, "c1");
  EXPECT_TRUE(has(calendar, R"("reason":"capped by `at most 3 per 4 calendar days`")")) << calendar;
  EXPECT_EQ(traced("cap", "at most 3 per 4 calendar days")[0].rfind("capped on email | 3 of 3", 0), 0u)
      << traced("cap", "at most 3 per 4 calendar days")[0];

  // A rolling cap of 3 still has room.
  std::string room = run(R"(
channel email { reachable: true }
campaign next { audience: true  channels: email }
pressure { at most 3 per 72h }
)",
                         now, past);
  EXPECT_TRUE(has(room, R"("status":"send")")) << room;
}

TEST_P(PressureTest, ARollingCapOfOneKeepsAMinimumGap) {
  const char* const rules = R"(
channel email { reachable: true }
campaign next { audience: true  channels: email }
pressure { at most 1 per 4h }
)";
  std::string soon = run(rules, "2024-05-02T12:00:00Z",
                         {contact("c1", "old", "email", "2024-05-02T08:00:01Z")});
  EXPECT_TRUE(has(soon, R"("reason":"capped by `at most 1 per 4h`")")) << soon;
  std::string later = run(rules, "2024-05-02T12:00:00Z",
                          {contact("c1", "old", "email", "2024-05-02T08:00:00Z")});
  EXPECT_TRUE(has(later, R"("status":"send")")) << later;
  // A message deferred to later counts as well: one due in an hour blocks now.
  std::string ahead = run(rules, "2024-05-02T12:00:00Z",
                          {contact("c1", "old", "email", "2024-05-02T13:00:00Z")});
  EXPECT_TRUE(has(ahead, R"("status":"dropped")")) << ahead;
}

TEST_P(PressureTest, ACalendarDayInTokyoEndsAtLocalMidnight) {
  customers("id,email,phone,time_zone,max_per_week,consent_email\n"
            "c1,c1@example.test,,Asia/Tokyo,,granted\n");
  const char* const rules = R"(
channel email { reachable: true }
campaign next { audience: true  channels: email }
pressure { at most 1 per calendar day }
)";
  // An earlier run sent at 23:00 JST; 00:30 JST the next day is a new day.
  std::string nextDay = run(rules, "2024-05-02T00:30:00+09:00",
                            {contact("c1", "old", "email", "2024-05-01T23:00:00+09:00")});
  EXPECT_TRUE(has(nextDay, R"("status":"send")")) << nextDay;
  // 10:00 and 12:00 JST are the same day.
  std::string sameDay = run(rules, "2024-05-02T12:00:00+09:00",
                            {contact("c1", "old", "email", "2024-05-02T10:00:00+09:00")});
  EXPECT_TRUE(has(sameDay, R"("reason":"capped by `at most 1 per calendar day`")")) << sameDay;
}

TEST_P(PressureTest, CapKeepsBestRankedNamesWinner) {
  std::string out = run(R"(
channel email { reachable: true }
campaign low { audience: true  channels: email  priority: 1 }
campaign high { audience: true  channels: email  priority: 9 }
campaign middle { audience: true  channels: email  priority: 5 }
campaign valuable { audience: true  channels: email  priority: 5  expected_value: 2.5 }
pressure {
  at most 2 per 7d
  rank by priority desc, expected_value desc
}
)",
                        "2024-06-10T12:00:00Z");
  EXPECT_EQ(out,
            R"({"customer":"c1","campaign":"high","status":"send","channel":"email","send_at":"2024-06-10T12:00:00Z","offer":[],"priority":9,"rank":1,"as_of":"2024-06-10T12:00:00Z"})"
            "\n"
            R"({"customer":"c1","campaign":"valuable","status":"send","channel":"email","send_at":"2024-06-10T12:00:00Z","offer":[],"priority":5,"expected_value":"2.5","rank":2,"as_of":"2024-06-10T12:00:00Z"})"
            "\n"
            R"({"customer":"c1","campaign":"low","status":"dropped","offer":[],"priority":1,"reason":"capped by `at most 2 per 7d`","rule":"at most 2 per 7d","winner":"valuable","as_of":"2024-06-10T12:00:00Z"})"
            "\n"
            R"({"customer":"c1","campaign":"middle","status":"dropped","offer":[],"priority":5,"reason":"capped by `at most 2 per 7d`","rule":"at most 2 per 7d","winner":"valuable","as_of":"2024-06-10T12:00:00Z"})"
            "\n");
}

TEST_P(PressureTest, TransactionalMessagesBypassCapsAndDoNotCount) {
  std::string out = run(R"(
channel email { reachable: true }
campaign receipt { audience: true  channels: email  transactional: true  priority: 100 }
campaign promo { audience: true  channels: email  priority: 1 }
pressure { at most 1 per 7d }
)",
                        "2024-06-10T12:00:00Z",
                        // Last week's message fills the cap; a receipt of
                        // yesterday does not count.
                        {contact("c1", "receipt", "email", "2024-06-09T12:00:00Z", "", true)});
  EXPECT_TRUE(has(out, R"("campaign":"receipt","status":"send")")) << out;
  EXPECT_TRUE(has(out, R"("campaign":"promo","status":"send")")) << out;
  std::string capped = run(R"(
channel email { reachable: true }
campaign receipt { audience: true  channels: email  transactional: true  priority: 100 }
campaign promo { audience: true  channels: email  priority: 1 }
pressure { at most 1 per 7d }
)",
                           "2024-06-10T12:00:00Z",
                           {contact("c1", "promo", "email", "2024-06-09T12:00:00Z")});
  EXPECT_TRUE(has(capped, R"("campaign":"receipt","status":"send")")) << capped;
  EXPECT_TRUE(has(capped, R"("campaign":"promo","status":"dropped")")) << capped;
}

TEST_P(PressureTest, ExemptAndChannelCapFallBack) {
  std::string out = run(R"(
channel sms { reachable: true }
channel email { reachable: true }
campaign alert { audience: true  channels: sms  priority: 9 }
campaign news { audience: true  channels: sms, email  priority: 5 }
pressure sms_limits {
  at most 1 per calendar day on sms
  exempt alert
}
)",
                        "2024-06-10T12:00:00Z",
                        {contact("c1", "older", "sms", "2024-06-10T08:00:00Z")});
  // The day's sms is taken, alert is exempt, and news falls back to e-mail.
  EXPECT_TRUE(has(out, R"("campaign":"alert","status":"send","channel":"sms")")) << out;
  EXPECT_TRUE(has(out, R"("campaign":"news","status":"send","channel":"email")")) << out;
}

TEST_P(PressureTest, AProfileFieldTightensTheScriptLimit) {
  customers("id,email,phone,time_zone,max_per_week,consent_email\n"
            "c1,a@example.test,,,1,granted\n"
            "c2,b@example.test,,,,granted\n");
  std::string out = run(R"(
channel email { reachable: true }
campaign one { audience: true  channels: email  priority: 2 }
campaign two { audience: true  channels: email  priority: 1 }
let weekly = customer.max_per_week ?? 3
pressure { at most (weekly < 3 ? weekly : 3) per 7d }
)",
                        "2024-06-10T12:00:00Z");
  EXPECT_TRUE(has(out, R"("customer":"c1","campaign":"one","status":"send")")) << out;
  EXPECT_TRUE(has(out, R"("customer":"c1","campaign":"two","status":"dropped")")) << out;
  EXPECT_TRUE(has(out, R"("customer":"c2","campaign":"two","status":"send")")) << out;
}

TEST_P(PressureTest, CapacityGoesToBestCandidates) {
  customers("id,email,phone,time_zone,max_per_week,consent_email\n"
            "c1,a@example.test,,,,granted\n"
            "c2,b@example.test,,,,granted\n"
            "c3,c@example.test,,,,granted\n"
            "c4,d@example.test,,,,granted\n");
  orders("order_id,customer_id,amount,at\n"
         "o1,c1,10.00,2024-06-01T00:00:00Z\n"
         "o2,c2,90.00,2024-06-01T00:00:00Z\n"
         "o3,c3,50.00,2024-06-01T00:00:00Z\n"
         "o4,c4,50.00,2024-06-01T00:00:00Z\n");
  std::string out = run(R"(
channel call { reachable: true  capacity: 2 per day }
channel email { reachable: true }
campaign vip { audience: true  channels: call, email  expected_value: customer.orders.sum(o, o.amount) }
)",
                        "2024-06-10T12:00:00Z");
  // c2 (90) first; c3 and c4 tie at 50 and the earlier customer wins; c1
  // falls back to e-mail like c4.
  EXPECT_TRUE(has(out, R"("customer":"c2","campaign":"vip","status":"send","channel":"call")")) << out;
  EXPECT_TRUE(has(out, R"("customer":"c3","campaign":"vip","status":"send","channel":"call")")) << out;
  EXPECT_TRUE(has(out, R"("customer":"c4","campaign":"vip","status":"send","channel":"email")")) << out;
  EXPECT_TRUE(has(out, R"("customer":"c1","campaign":"vip","status":"send","channel":"email")")) << out;
  EXPECT_EQ(result_.channelSends, (std::vector<size_t>{2, 2}));

  // With the history holding one call today, only c2 gets one.
  std::string full = run(R"(
channel call { reachable: true  capacity: 2 per day }
campaign vip { audience: true  channels: call  expected_value: customer.orders.sum(o, o.amount) }
)",
                         "2024-06-10T12:00:00Z",
                         {contact("someone-else", "vip", "call", "2024-06-10T09:00:00Z")});
  EXPECT_TRUE(has(full, R"("customer":"c2","campaign":"vip","status":"send","channel":"call")")) << full;
  EXPECT_TRUE(has(full, R"("customer":"c3","campaign":"vip","status":"dropped","offer":[],"priority":0,"expected_value":"50.00","reason":"no capacity","rule":"capacity of call")"))
      << full;
}

TEST_P(PressureTest, ANegativeConsentRuleBlocksProfilesWithoutConsent) {
  customers("id,email,phone,time_zone,max_per_week,consent_email\n"
            "c1,a@example.test,,,,granted\n"
            "c2,b@example.test,,,,\n"
            "c3,c@example.test,,,,refused\n");
  std::string out = run(R"(
channel email { reachable: has(customer.email) && !((customer.consent_email ?? "") not in ["granted"]) }
campaign hello { audience: true  channels: email }
)",
                        "2024-06-10T12:00:00Z");
  EXPECT_TRUE(has(out, R"("customer":"c1","campaign":"hello","status":"send")")) << out;
  EXPECT_TRUE(has(out, R"("customer":"c2","campaign":"hello","status":"dropped","offer":[],"priority":0,"reason":"no reachable channel")"))
      << out;
  EXPECT_TRUE(has(out, R"("customer":"c3","campaign":"hello","status":"dropped")")) << out;
  EXPECT_EQ(result_.errorCount, 0u);
}

TEST_P(PressureTest, AnsweredAndOldTriggerEventsDoNotFireAgain) {
  orders("order_id,customer_id,amount,at\n"
         "o1,c1,10.00,2024-06-08T00:00:00Z\n"
         "o2,c1,20.00,2024-06-09T00:00:00Z\n"
         "o3,c1,30.00,2024-06-10T06:00:00Z\n");
  const char* const rules = R"(
channel email { reachable: true }
trigger bought on orders() as o when o.at within 7d
campaign thanks { audience: true  trigger: bought  channels: email }
)";
  std::string all = run(rules, "2024-06-10T12:00:00Z");
  EXPECT_TRUE(has(all, R"("events":["o1","o2","o3"])")) << all;

  // o2 was handled before (a replay of the same event); o1 was due
  // before the previous run.
  history::Contact handled = contact("c1", "thanks", "email", "2024-06-09T12:00:00Z");
  handled.events = {"o2"};
  std::string fresh = run(rules, "2024-06-10T12:00:00Z", {handled}, at("2024-06-08T12:00:00Z"));
  EXPECT_TRUE(has(fresh, R"("events":["o3"])")) << fresh;

  history::Contact both = handled;
  both.events = {"o2", "o3"};
  std::string none = run(rules, "2024-06-10T12:00:00Z", {both}, at("2024-06-08T12:00:00Z"));
  EXPECT_EQ(none, "");
}

TEST_P(PressureTest, MeasuredConversionRatesRankCampaignsWithoutADeclaredValue) {
  std::map<std::string, double> rates = {{"alpha", 0.1}, {"beta", 0.3}};
  const char* const rules = R"(
channel email { reachable: true }
campaign alpha { audience: true  channels: email }
campaign beta { audience: true  channels: email }
campaign gamma { audience: true  channels: email  expected_value: 0.2 }
pressure { at most 2 per 7d }
)";
  std::string out = run(rules, "2024-06-10T12:00:00Z", {}, std::nullopt, std::nullopt, &rates);
  // beta (0.3) and gamma (0.2, declared) beat alpha (0.1).
  EXPECT_TRUE(has(out, R"("campaign":"beta","status":"send","channel":"email","send_at":"2024-06-10T12:00:00Z","offer":[],"priority":0,"expected_value":"0.3","rank":1)"))
      << out;
  EXPECT_TRUE(has(out, R"("campaign":"gamma","status":"send")")) << out;
  EXPECT_TRUE(has(out, R"("campaign":"alpha","status":"dropped")")) << out;
  // Without rates, alpha and beta have no value and rank last, by name.
  std::string none = run(rules, "2024-06-10T12:00:00Z");
  EXPECT_TRUE(has(none, R"("campaign":"gamma","status":"send","channel":"email","send_at":"2024-06-10T12:00:00Z","offer":[],"priority":0,"expected_value":"0.2","rank":1)"))
      << none;
  EXPECT_TRUE(has(none, R"("campaign":"alpha","status":"send")")) << none;
  EXPECT_TRUE(has(none, R"("campaign":"beta","status":"dropped")")) << none;
}

TEST_P(PressureTest, TraceShowsEveryStep) {
  std::string out = run(R"(
segment spender = customer.orders.size() >= 0
channel sms { reachable: false }
channel email { reachable: true }
campaign hello { audience: spender  channels: sms, email }
pressure { at most 1 per 7d }
)",
                        "2024-06-10T12:00:00Z", {}, std::nullopt, "c1");
  EXPECT_EQ(traced("segment", "spender"), (std::vector<std::string>{"true | "}));
  EXPECT_EQ(traced("channel", "sms"), (std::vector<std::string>{"not reachable | "}));
  ASSERT_EQ(traced("channel", "email").size(), 1u);
  EXPECT_EQ(traced("cap", "at most 1 per 7d").size(), 1u);
  ASSERT_EQ(traced("decision", "hello").size(), 1u);
  EXPECT_EQ(traced("decision", "hello")[0].rfind("send via email | at 2024-06-10T08:00:00-04:00", 0),
            0u)
      << traced("decision", "hello")[0];
}

INSTANTIATE_TEST_SUITE_P(Engines, PressureTest, ::testing::ValuesIn(testing::kEngines),
                         [](const auto& info) { return run::engineName(info.param); });

}  // namespace
}  // namespace crm
