// LruMap: the budget holds, the least recently used goes first, a lookup
// counts as a use, a replacement is not counted twice, 0 keeps nothing.
#include "base/lru_map.h"

#include <gtest/gtest.h>

namespace tern {
namespace {

TEST(LruMap, EvictsLeastRecentlyUsedWithinTheBudget) {
  LruMap<int> m;
  m.set_limit(3 * (100 + 96 + 1));  // three entries of cost 100 with one-byte keys
  m.put("a", 1, 100);
  m.put("b", 2, 100);
  m.put("c", 3, 100);
  ASSERT_NE(m.find("a"), nullptr);  // a is now the most recent
  m.put("d", 4, 100);               // b goes
  EXPECT_EQ(m.find("b"), nullptr);
  ASSERT_NE(m.find("a"), nullptr);
  EXPECT_EQ(*m.find("a"), 1);
  EXPECT_EQ(*m.find("c"), 3);
  EXPECT_EQ(*m.find("d"), 4);
  EXPECT_EQ(m.entries(), 3u);
  EXPECT_LE(m.used_bytes(), m.limit());
}

TEST(LruMap, ReplaceOversizeEraseAndOff) {
  LruMap<std::string> m;
  m.set_limit(1000);
  m.put("k", "one", 100);
  m.put("k", "two", 100);  // replaced, counted once
  EXPECT_EQ(m.entries(), 1u);
  EXPECT_EQ(m.used_bytes(), 100u + 1 + 96);
  EXPECT_EQ(*m.find("k"), "two");
  m.put("huge", "x", 5000);  // larger than the budget: not kept, nothing else lost
  EXPECT_EQ(m.find("huge"), nullptr);
  EXPECT_NE(m.find("k"), nullptr);
  m.erase("k");
  EXPECT_EQ(m.entries(), 0u);
  EXPECT_EQ(m.used_bytes(), 0u);
  m.put("k", "three", 10);
  m.set_limit(0);  // off: emptied and stays empty
  EXPECT_EQ(m.entries(), 0u);
  m.put("k", "four", 10);
  EXPECT_EQ(m.find("k"), nullptr);
}

}  // namespace
}  // namespace tern
