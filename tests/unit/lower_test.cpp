// Lowering: the shape of the program both engines consume. Names become
// positions, slots and indexes; constants fold; `not in` becomes `!in`.
#include "compiler/lower/lower.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "interp/interpreter.h"
#include "tests/support/test_support.h"

namespace crm {
namespace {

std::unique_ptr<ir::Program> lowered(const std::string& declarations,
                                     std::unique_ptr<driver::Compilation>& compilation) {
  compilation = testing::checkText(std::string(testing::kPrelude) + declarations);
  EXPECT_FALSE(compilation->hasErrors()) << testing::summarize(*compilation);
  std::vector<const ast::Script*> scripts;
  for (const auto& script : compilation->scripts) scripts.push_back(script.get());
  auto program = lower::lowerProgram(scripts);
  interp::foldConstants(*program);
  return program;
}

const ir::Declaration& declaration(const ir::Program& program, const std::string& name) {
  for (const auto& d : program.declarations) {
    if (d.name == name) return d;
  }
  throw std::runtime_error("no declaration " + name);
}

TEST(Lowering, FieldAccessesBecomeColumnPositions) {
  std::unique_ptr<driver::Compilation> compilation;
  auto program = lowered("let n = customer.orders.size()\n", compilation);
  // Customer fields: id, age, email, birth_date, tier, consent, orders...
  EXPECT_EQ(ir::dump(*declaration(*program, "n").value),
            "builtin list_size : int\n"
            "  field index=6 : list<Order>\n"
            "    customer : Customer\n");
}

TEST(Lowering, MacrosGetASlotAndRecordsTheirFieldIndex) {
  std::unique_ptr<driver::Compilation> compilation;
  auto program = lowered("let big = customer.orders.filter(o, o.total > 10).size()\n", compilation);
  std::string dump = ir::dump(*declaration(*program, "big").value);
  EXPECT_NE(dump.find("macro slot=0 : list<Order>"), std::string::npos) << dump;
  EXPECT_NE(dump.find("record_field index=1 : decimal"), std::string::npos) << dump;
  EXPECT_NE(dump.find("variable slot=0 : Order"), std::string::npos) << dump;
  EXPECT_EQ(program->slotCount, 1u);
}

TEST(Lowering, ConstantsFold) {
  std::unique_ptr<driver::Compilation> compilation;
  auto program = lowered(
      "let a = 1 + 2 * 3\n"
      "let b = size('abc') > 2 && customer.age == null\n"
      "let c = 1 / 0\n",
      compilation);
  EXPECT_EQ(ir::dump(*declaration(*program, "a").value), "constant 7 : int\n");
  std::string b = ir::dump(*declaration(*program, "b").value);
  EXPECT_EQ(b.rfind("and : bool\n  constant true : bool\n", 0), 0u) << b;
  // An error is not folded: it is reported for each customer that reads it.
  EXPECT_EQ(ir::dump(*declaration(*program, "c").value),
            "divide : int\n  constant 1 : int\n  constant 0 : int\n");
}

TEST(Lowering, NowAndWithinAreNotFolded) {
  std::unique_ptr<driver::Compilation> compilation;
  auto program = lowered("let recent = timestamp('2026-01-01T00:00:00Z') within 30d\n",
                         compilation);
  EXPECT_EQ(ir::dump(*declaration(*program, "recent").value),
            "within : bool\n"
            "  constant 2026-01-01T00:00:00Z : timestamp\n"
            "  constant 2592000s : duration\n");
}

TEST(Lowering, NotInIsNegatedIn) {
  std::unique_ptr<driver::Compilation> compilation;
  auto program = lowered("segment outsider = customer.tier not in [gold, silver]\n", compilation);
  EXPECT_EQ(ir::dump(*declaration(*program, "outsider").value),
            "not : bool\n"
            "  in : bool\n"
            "    field index=4 : Tier\n"
            "      customer : Customer\n"
            "    constant [gold, silver] : list<Tier>\n");
}

TEST(Lowering, SegmentsAreReadThroughTheirIndex) {
  std::unique_ptr<driver::Compilation> compilation;
  auto program = lowered(
      "segment adult = (customer.age ?? 0) >= 18\n"
      "channel email { reachable: has(customer.email) }\n"
      "campaign a { audience: adult  channels: email }\n"
      "campaign b { audience: adult && customer.score > 1.0  channels: email }\n",
      compilation);
  ASSERT_EQ(program->segments(), std::vector<uint32_t>{0});
  ASSERT_EQ(program->campaigns.size(), 2u);
  EXPECT_EQ(ir::dump(*program->campaigns[0].audience), "declaration index=0 : bool\n");
  std::string b = ir::dump(*program->campaigns[1].audience);
  EXPECT_NE(b.find("  declaration index=0 : bool\n"), std::string::npos) << b;
  EXPECT_EQ(ir::dump(*program->channels[0].reachable),
            "has : bool\n  field index=2 null-safe : string?\n    customer : Customer\n");
}

}  // namespace
}  // namespace crm
