#include "compiler/source/source.h"

#include <gtest/gtest.h>

namespace crm::source {
namespace {

TEST(SourceFile, LineAndColumnOfOffsets) {
  SourceManager sources;
  const auto& file = sources.add("a.crm", "ab\ncd\n\nef");
  EXPECT_EQ(file.lineColumn(0).line, 1u);
  EXPECT_EQ(file.lineColumn(0).column, 1u);
  EXPECT_EQ(file.lineColumn(4).line, 2u);
  EXPECT_EQ(file.lineColumn(4).column, 2u);
  EXPECT_EQ(file.lineColumn(7).line, 4u);
  EXPECT_EQ(file.lineText(2), "cd");
  EXPECT_EQ(file.lineText(3), "");
  EXPECT_EQ(file.lineCount(), 4u);
}

TEST(SourceFile, ColumnsCountCodePoints) {
  SourceManager sources;
  const auto& file = sources.add("a.crm", "\"é€\" x");
  // The quote, two code points of 2 and 3 bytes, the quote, a space.
  EXPECT_EQ(file.lineColumn(8).column, 6u);
  EXPECT_EQ(file.offsetOf(1, 6), 8u);
}

TEST(SourceFile, CrlfLinesDropTheCarriageReturn) {
  SourceManager sources;
  const auto& file = sources.add("a.crm", "one\r\ntwo\r\n");
  EXPECT_EQ(file.lineText(1), "one");
  EXPECT_EQ(file.lineText(2), "two");
}

}  // namespace
}  // namespace crm::source
