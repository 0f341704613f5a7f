#include "compiler/diag/diagnostic.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "compiler/diag/render.h"

namespace crm::diag {
namespace {

TEST(Diagnostic, CodesAreUniqueAndWellFormed) {
  std::set<std::string_view> ids;
  for (const auto& code : allCodes()) {
    EXPECT_TRUE(ids.insert(code.id).second) << code.id;
    ASSERT_EQ(code.id.size(), 5u);
    EXPECT_EQ(code.id[0] == 'W', code.severity == Severity::Warning) << code.id;
    EXPECT_EQ(parseCode(code.id), code.code);
  }
  EXPECT_FALSE(parseCode("E9999"));
}

TEST(Diagnostic, ClosestMatchFindsTypos) {
  EXPECT_EQ(closestMatch("ordrs", {"orders", "email"}), "orders");
  EXPECT_EQ(closestMatch("emial", {"orders", "email"}), "email");
  EXPECT_FALSE(closestMatch("zzz", {"orders", "email"}));
  EXPECT_FALSE(closestMatch("orders", {"orders"}));
}

TEST(Diagnostic, ErrorLimitStopsCollecting) {
  source::SourceManager sources;
  const auto& file = sources.add("a.crm", "0123456789");
  DiagnosticEngine engine(sources, 3);
  for (uint32_t i = 0; i < 10; ++i) {
    engine.report(Code::E0102, {file.id(), i, i + 1}, "unknown name");
  }
  auto sorted = engine.sorted();
  ASSERT_EQ(sorted.size(), 4u);
  EXPECT_EQ(sorted.back().code, Code::E0005);
  EXPECT_EQ(engine.errorCount(), 3u);
  EXPECT_TRUE(engine.limitReached());
}

TEST(Diagnostic, AllowSilencesWarningsOnly) {
  source::SourceManager sources;
  const auto& file = sources.add("a.crm", "x\ny\n");
  DiagnosticEngine engine(sources);
  engine.allowOnLine(file.id(), 1, Code::W0101);
  engine.report(Code::W0101, {file.id(), 2, 3}, "silenced on the line below the comment");
  engine.report(Code::W0101, {file.id(), 0, 1}, "silenced on the comment's line");
  engine.allow(Code::E0102);
  engine.report(Code::E0102, {file.id(), 0, 1}, "errors are never silenced");
  auto sorted = engine.sorted();
  ASSERT_EQ(sorted.size(), 1u);
  EXPECT_EQ(sorted[0].code, Code::E0102);
}

TEST(Diagnostic, HumanOutputHasLocationCaretAndHelp) {
  source::SourceManager sources;
  const auto& file = sources.add("a.crm", "segment s = ordrs\n");
  DiagnosticEngine engine(sources);
  engine.report(Code::E0102, {file.id(), 12, 17}, "unknown name `ordrs`")
      .withHelp("did you mean `orders`?");
  std::ostringstream out;
  renderHuman(out, sources, engine.sorted(), {});
  EXPECT_EQ(out.str(),
            "a.crm:1:13: error[E0102]: unknown name `ordrs`\n"
            "  |\n"
            "1 | segment s = ordrs\n"
            "  |             ^~~~~\n"
            "help: did you mean `orders`?\n");
}

TEST(Diagnostic, ColorOnlyWhenAsked) {
  source::SourceManager sources;
  const auto& file = sources.add("a.crm", "x\n");
  DiagnosticEngine engine(sources);
  engine.report(Code::E0102, {file.id(), 0, 1}, "unknown name `x`");
  std::ostringstream plain;
  std::ostringstream colored;
  renderHuman(plain, sources, engine.sorted(), {false});
  renderHuman(colored, sources, engine.sorted(), {true});
  EXPECT_EQ(plain.str().find('\x1b'), std::string::npos);
  EXPECT_NE(colored.str().find("\x1b[1;31m"), std::string::npos);
}

}  // namespace
}  // namespace crm::diag
