// What the JIT compiles to native code and what it leaves to the
// interpreter. The results themselves are checked by every evaluation test,
// which runs on both engines.
#include "jit/jit.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "compiler/lower/lower.h"
#include "tests/support/test_support.h"

namespace crm {
namespace {

struct Compiled {
  std::unique_ptr<driver::Compilation> compilation;
  std::unique_ptr<ir::Program> program;
  std::unique_ptr<jit::CompiledProgram> code;
};

// Orders and their lines are entities, so their lists are child lists of
// rows that the generated code can loop over.
const char* const kSchema = R"(
enum Tier { bronze, silver, gold }
customer entity Customer key id {
  id: string
  age: int?
  email: string?
  tier: Tier
  score: double
  orders: list<Order>
}
entity Order key order_id {
  order_id: string
  at: timestamp
  total: decimal
  lines: list<Line>
}
entity Line key line_id { line_id: string  quantity: int }
)";

Compiled compileScript(const std::string& declarations, int level = 2) {
  Compiled result;
  result.compilation = testing::checkText(std::string(kSchema) + declarations);
  EXPECT_FALSE(result.compilation->hasErrors()) << testing::summarize(*result.compilation);
  std::vector<const ast::Script*> scripts;
  for (const auto& script : result.compilation->scripts) scripts.push_back(script.get());
  result.program = lower::lowerProgram(scripts);
  interp::foldConstants(*result.program);
  std::string error;
  jit::Options options;
  options.optLevel = level;
  options.keepIr = true;
  result.code = jit::compile(*result.program, nullptr, options, error);
  EXPECT_NE(result.code, nullptr) << error;
  return result;
}

TEST(Jit, AggregatesOverChildListsAreNative) {
  Compiled c = compileScript(
      "segment busy = customer.orders.filter(o, o.at within 30d).size() >= 3\n"
      "segment big = customer.orders.sum(o, o.total) > 100.00 && customer.score > 0.5\n"
      "segment latest = (customer.orders.max(o, o.at) ?? now) < now - 7d\n"
      "segment bulk = customer.orders.exists(o, o.lines.count(l, l.quantity > 2) > 0)\n"
      "segment ranked = customer.tier in [gold, silver] && has(customer.email)\n"
      "segment average = (customer.orders.filter(o, o.at within 90d).avg(o, o.total) ?? 0.00) "
      "> 20.00\n");
  ASSERT_NE(c.code, nullptr);
  EXPECT_EQ(c.code->rootCount(), 6u);
  EXPECT_EQ(c.code->fallbackCount(), 0u) << c.code->ir();
}

TEST(Jit, StringTestsOnColumnsAreNative) {
  Compiled c = compileScript(
      "segment test_mail = has(customer.email) && customer.email.endsWith(\"@example.test\")\n"
      "segment listed = (customer.email ?? \"none\") in [\"a@b.c\", \"none\"]\n"
      "segment named = customer.id.startsWith(\"c1\") || customer.id.contains(\"x\")\n");
  ASSERT_NE(c.code, nullptr);
  EXPECT_EQ(c.code->fallbackCount(), 0u) << c.code->ir();
}

TEST(Jit, StringFunctionsGoToTheInterpreter) {
  Compiled c = compileScript(
      "segment shouting = (customer.email ?? \"\").upper() == customer.id\n");
  ASSERT_NE(c.code, nullptr);
  EXPECT_GE(c.code->fallbackCount(), 1u);
}

TEST(Jit, OptimisedCodeHasNativeLoops) {
  Compiled c = compileScript("let n = customer.orders.count(o, o.at within 30d)\n");
  ASSERT_NE(c.code, nullptr);
  const std::string& ir = c.code->ir();
  // The loop reads the order timestamps from the column array: no call
  // inside it except the instant of the run.
  EXPECT_NE(ir.find("define void @root0("), std::string::npos) << ir;
  EXPECT_EQ(ir.find("call void @crm_jit_fallback(ptr %0, ptr nonnull inttoptr"),
            ir.rfind("call void @crm_jit_fallback(ptr %0, ptr nonnull inttoptr"))
      << "only the bail-out path calls the interpreter\n"
      << ir;
}

TEST(Jit, EveryLevelCompiles) {
  for (int level : {0, 1, 2}) {
    Compiled c = compileScript("segment s = customer.orders.size() > (customer.age ?? 0)\n", level);
    EXPECT_NE(c.code, nullptr) << "level " << level;
  }
}

}  // namespace
}  // namespace crm

namespace crm {
namespace {

TEST(JitCache, ReusesCompiledCodeAndReplacesDamagedFiles) {
  namespace fs = std::filesystem;
  fs::path folder = fs::temp_directory_path() / ("crm_jit_cache_" + std::to_string(::getpid()));
  fs::remove_all(folder);
  auto compilation = testing::checkText(std::string(kSchema) +
                                        "segment busy = customer.orders.size() > 3\n");
  ASSERT_FALSE(compilation->hasErrors()) << testing::summarize(*compilation);
  std::vector<const ast::Script*> scripts;
  for (const auto& script : compilation->scripts) scripts.push_back(script.get());
  auto program = lower::lowerProgram(scripts);
  jit::Options options;
  options.cacheDir = folder.string();
  std::string error;

  auto first = jit::compile(*program, nullptr, options, error);
  ASSERT_NE(first, nullptr) << error;
  EXPECT_EQ(first->cacheHits(), 0u);
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder)) files.push_back(entry.path());
  ASSERT_EQ(files.size(), 1u);

  auto second = jit::compile(*program, nullptr, options, error);
  ASSERT_NE(second, nullptr) << error;
  EXPECT_EQ(second->cacheHits(), 1u);

  // A damaged object is compiled again and replaced.
  std::ofstream(files[0], std::ios::trunc) << "not an object file";
  auto third = jit::compile(*program, nullptr, options, error);
  ASSERT_NE(third, nullptr) << error;
  auto fourth = jit::compile(*program, nullptr, options, error);
  ASSERT_NE(fourth, nullptr) << error;
  EXPECT_EQ(fourth->cacheHits(), 1u);
  EXPECT_GT(fs::file_size(files[0]), 100u);
  fs::remove_all(folder);
}

}  // namespace
}  // namespace crm
