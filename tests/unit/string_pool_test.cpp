// The string pool that contains the texts of string and key columns.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/store.h"

namespace crm::runtime {
namespace {

TEST(StringPool, EqualTextsShareOneId) {
  StringPool pool;
  EXPECT_EQ(pool.intern("a"), 0u);
  EXPECT_EQ(pool.intern("b"), 1u);
  EXPECT_EQ(pool.intern("a"), 0u);
  EXPECT_EQ(pool.intern(""), 2u);
  EXPECT_EQ(pool.intern(""), 2u);
  EXPECT_EQ(pool.size(), 3u);
  EXPECT_EQ(pool.text(0), "a");
  EXPECT_EQ(pool.text(2), "");
}

TEST(StringPool, IdsStayStableAcrossGrowth) {
  // Enough strings to grow the table many times and past 2 MiB, with
  // every text repeated out of order so that lookups probe the table.
  StringPool pool;
  constexpr uint32_t kCount = 700000;
  for (uint32_t i = 0; i < kCount; ++i) {
    ASSERT_EQ(pool.intern("key-" + std::to_string(i)), i);
  }
  for (uint32_t i = 0; i < kCount; i += 7) {
    ASSERT_EQ(pool.intern("key-" + std::to_string(i)), i);
  }
  EXPECT_EQ(pool.size(), kCount);
  EXPECT_EQ(pool.text(123456), "key-123456");
  EXPECT_EQ(pool.find("key-699999"), 699999u);
  EXPECT_EQ(pool.find("key-700000"), std::nullopt);
  EXPECT_EQ(pool.find("key-"), std::nullopt);
}

TEST(StringPool, TextsDifferingLateAreDistinct) {
  // Texts longer than one 8-byte word that differ only in the last byte
  // or in length.
  StringPool pool;
  std::vector<std::string> texts = {"0123456789abcdef", "0123456789abcdeg", "0123456789abcde",
                                    "0123456789abcdef0", std::string("01234567\0", 9),
                                    "01234567"};
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(pool.intern(texts[i]), i) << i;
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(pool.find(texts[i]), i) << i;
}

TEST(StringPool, MoveKeepsTextsAndLookups) {
  StringPool pool;
  for (int i = 0; i < 1000; ++i) pool.intern(std::to_string(i));
  StringPool moved(std::move(pool));
  EXPECT_EQ(moved.size(), 1000u);
  EXPECT_EQ(moved.find("999"), 999u);
  EXPECT_EQ(moved.intern("500"), 500u);
  // The pool moved from is empty and usable.
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_EQ(pool.find("1"), std::nullopt);
  EXPECT_EQ(pool.intern("x"), 0u);

  StringPool assigned;
  assigned.intern("old");
  assigned = std::move(moved);
  EXPECT_EQ(assigned.find("old"), std::nullopt);
  EXPECT_EQ(assigned.find("42"), 42u);
}

}  // namespace
}  // namespace crm::runtime
