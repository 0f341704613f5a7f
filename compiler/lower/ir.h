// The program representation that both evaluation engines consume. Lowering
// turns the checked AST into a tree of typed nodes in which every name is
// already resolved: a field access is a column position, a macro is a loop
// with a variable slot, a call is a built-in's id, a segment or let is an
// index into the per-customer cache. No node needs a name at run time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compiler/ast/ast.h"
#include "runtime/activity.h"
#include "runtime/value.h"
#include "stdlib/builtins.h"

namespace crm::ir {

using runtime::Value;

enum class Op : uint8_t {
  Constant,     // `constant`
  Now,          // the run's instant
  Customer,     // the row of the customer being evaluated
  Catalog,      // every catalog row, as a list
  Variable,     // `slot`: a macro variable or a recommendation parameter
  External,     // `slot` of an externally bound variable (`crm eval --bind`)
  Declaration,  // `index` into Program::declarations, cached per customer

  Field,        // column `index` of the row operands[0]
  RecordField,  // field `index` of the record operands[0]
  MapKey,       // the entry of operands[0] (a map) at the string `constant`
  Has,          // whether operands[0] (a Field, RecordField or MapKey node) is present
  Index,        // operands[0][operands[1]]
  MakeList,
  MakeMap,      // operands are key, value, key, value...
  MakeRecord,   // `record` names the fields; operands in field order

  Not,
  Negate,
  And,
  Or,
  Conditional,  // operands: condition, then, otherwise
  Coalesce,
  Equal,
  NotEqual,
  Less,
  LessEqual,
  Greater,
  GreaterEqual,
  In,
  Within,
  Add,
  Subtract,
  Multiply,
  Divide,
  Modulo,

  Builtin,    // `builtin` over operands (the receiver first for a method)
  Macro,      // `macro` over operands[0] with the variable in `slot`
  Recommend,  // `index` into Program::recommends; operands are the arguments
};

const char* opName(Op op);

enum class MacroKind : uint8_t {
  All,
  Exists,
  ExistsOne,
  Map,        // operands: list, value
  FilterMap,  // operands: list, predicate, value
  Filter,
  Count,
  Sum,
  Avg,
  Min,
  Max,
  Latest,
  Earliest,
  Top,  // operands: list, count, key
};

struct Node {
  Op op = Op::Constant;
  const ast::Type* type = nullptr;  // the static result type
  source::SourceRange range;        // for error messages
  std::vector<std::unique_ptr<Node>> operands;

  Value constant;
  uint32_t slot = 0;
  uint32_t index = 0;
  stdlib::Builtin builtin = stdlib::Builtin::Count;
  // A call whose overload depends on the run-time types of `dyn` arguments:
  // the overloads of its name, tried in order. Empty otherwise.
  std::vector<stdlib::Builtin> overloads;
  MacroKind macro = MacroKind::All;
  const runtime::RecordInfo* record = nullptr;  // MakeRecord
  const runtime::EnumInfo* enumInfo = nullptr;  // Field, RecordField of an enum field
  // `a?.f` and `a?.m()`: a null operands[0] gives null instead of the access.
  bool nullSafe = false;
};

using NodePtr = std::unique_ptr<Node>;

// A let or a segment. The interpreter caches its value per customer.
struct Declaration {
  std::string name;
  bool segment = false;
  NodePtr value;
};

struct Recommend {
  std::string name;
  // Calls pass every parameter: lowering fills in the defaults at the call.
  std::vector<uint32_t> parameterSlots;
  NodePtr body;
};

// Hours of a day, in minutes after midnight: [start, end), wrapping past
// midnight when start > end. `local` reads them in the customer's time zone.
struct DailyHours {
  bool present = false;
  int startMinute = 0;
  int endMinute = 0;
  bool local = false;
};

// Calendar periods of channel capacities and pressure windows.
enum class Period : uint8_t { Hour, Day, Week, Month };

struct Channel {
  std::string name;
  NodePtr reachable;  // null: always reachable
  DailyHours quiet;
  DailyHours sendWindow;
  uint8_t sendDays = 0x7f;  // bit 0 is Monday, bit 6 Sunday
  std::string timeZone = "UTC";  // of hours written without `local`, and of capacity periods
  int64_t capacity = -1;         // messages per `capacityPeriod`; -1 is unlimited
  Period capacityPeriod = Period::Day;
  double cost = 0;
  std::string costText = "0";  // as written, for the output
};

// A trigger fires for a customer when some element `e` of its stream meets
// `on` and `when`, is due (`e.at + after <= now`), and no element `u` of the
// `unless` stream meets its condition with `e.at < u.at <= min(e.at +
// window, now)`.
struct Trigger {
  std::string name;
  std::string problem;  // why the trigger cannot be evaluated; empty when it can
  uint32_t stream = 0;  // the customer column of the element list
  uint32_t slot = 0;    // the element variable
  NodePtr on;           // may be null
  NodePtr when;         // may be null
  NodePtr time;         // the element's `at`; null when the element has none
  NodePtr after;        // may be null
  bool hasUnless = false;
  uint32_t unlessStream = 0;
  uint32_t unlessSlot = 0;
  NodePtr unlessCondition;  // may be null
  NodePtr unlessTime;       // the unless element's `at`
  NodePtr unlessWindow;
};

struct Campaign {
  std::string name;
  NodePtr audience;
  NodePtr offer;  // may be null
  bool sendOnEmptyOffer = false;
  std::vector<uint32_t> channels;  // indexes into Program::channels, in preference order
  NodePtr priority;                // may be null: 0
  NodePtr expectedValue;           // may be null
  int trigger = -1;                // index into Program::triggers, or -1
  std::string group;
  bool transactional = false;
  // Scheduling: the send is `delay` after now (in whole local days when the
  // delay is whole days), at `sendAtMinute` local time when given.
  int64_t delay = 0;
  int sendAtMinute = -1;
  bool dropWhenQuiet = false;  // `when_quiet: drop`; deferred otherwise
  std::string description;
};

// `at most N per WINDOW [on CHANNEL] [in group GROUP]` of a pressure block.
struct Cap {
  uint32_t block = 0;  // index into Program::pressure
  std::string text;    // the rule as written, for reasons and traces
  NodePtr limit;       // int; may read the customer
  bool calendar = false;
  Period period = Period::Day;  // calendar windows
  int64_t periods = 1;          // `per 4 calendar days`
  NodePtr window;               // rolling windows: a duration
  int channel = -1;             // -1: every channel
  std::string group;            // empty: every group
};

enum class RankKey : uint8_t { Priority, ExpectedValue, Cost };

struct RankBy {
  RankKey key = RankKey::Priority;
  bool descending = false;
};

// A `pressure` block: its name and whom its caps let through.
struct PressureBlock {
  std::string name;  // may be empty
  std::vector<std::string> exemptCampaigns;
  std::vector<std::string> exemptGroups;
};

// A variable bound from outside the program (`crm eval --bind`).
struct ExternalVariable {
  std::string name;
  const ast::Type* type = nullptr;
  uint32_t slot = 0;
};

struct Program {
  // Problems that keep the program from running, one message each, such
  // as a trigger on a stream that the customer entity does not contain.
  std::vector<std::string> problems;
  std::string customerEntity;  // the name of the customer entity's table; empty without one
  std::string catalogEntity;
  // The catalog levels and the customer lists that the recommendation
  // functions read.
  runtime::ActivitySchema activity;
  std::vector<Declaration> declarations;
  std::vector<Recommend> recommends;
  std::vector<Channel> channels;
  std::vector<Trigger> triggers;
  std::vector<Campaign> campaigns;
  std::vector<PressureBlock> pressure;
  std::vector<Cap> caps;
  // The ranking of candidates; `priority desc, expected_value desc` when
  // no block gives one.
  std::vector<RankBy> rank;
  // The customer's time zone: the customer's `time_zone` field when it has
  // one (a column index, or -1) and its value is not null, otherwise the
  // default, from the first source of the customer entity that sets one.
  int customerTimeZoneField = -1;
  std::string customerTimeZone = "UTC";
  std::vector<ExternalVariable> externals;
  uint32_t slotCount = 0;  // variables, parameters and externals share one frame

  // The names behind enum and record values.
  std::vector<std::unique_ptr<runtime::EnumInfo>> enums;
  std::vector<std::unique_ptr<runtime::RecordInfo>> records;

  // The indexes of the segments among `declarations`, in declaration order.
  std::vector<uint32_t> segments() const;
};

// Prints the tree for `--dump-ir`-style inspection and for tests.
std::string dump(const Node& node);

}  // namespace crm::ir
