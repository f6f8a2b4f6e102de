// context_update.h: the ADDTO/REMOVEFROM that turn a context's old result
// into its new one, checked by applying them as RFC 5267 4.3.3/4.3.4 say a
// client does.
#include "imap/proto/context_update.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace tern::imap {
namespace {

// A client applying the changes to its copy (positions 1-based; 0: in
// mailbox order / wherever they occur).
std::vector<uint32_t> replay(std::vector<uint32_t> list, const std::vector<ContextChange>& changes) {
  for (const auto& c : changes) {
    if (c.position == 0) {
      if (c.add) {
        list.insert(list.end(), c.numbers.begin(), c.numbers.end());
        std::sort(list.begin(), list.end());
      } else {
        for (uint32_t n : c.numbers) list.erase(std::remove(list.begin(), list.end(), n), list.end());
      }
      continue;
    }
    size_t at = c.position - 1;
    if (c.add) {
      EXPECT_LE(at, list.size());
      list.insert(list.begin() + static_cast<long>(std::min(at, list.size())), c.numbers.begin(), c.numbers.end());
    } else {
      EXPECT_LE(at + c.numbers.size(), list.size());
      for (size_t i = 0; i < c.numbers.size() && at < list.size(); ++i) {
        EXPECT_EQ(list[at], c.numbers[i]);  // the run is where the position says
        list.erase(list.begin() + static_cast<long>(at));
      }
    }
  }
  return list;
}

TEST(ContextUpdate, SearchUsesPositionZeroInMailboxOrder) {
  auto ch = context_changes({2, 4, 6, 8}, {1, 4, 8, 9, 10}, false);
  ASSERT_EQ(ch.size(), 2u);
  EXPECT_EQ(ch[0], (ContextChange{false, 0, {2, 6}}));
  EXPECT_EQ(ch[1], (ContextChange{true, 0, {1, 9, 10}}));
  EXPECT_EQ(context_change_items(ch), " REMOVEFROM (0 2,6) ADDTO (0 1,9:10)");
  EXPECT_TRUE(context_changes({1, 2}, {1, 2}, false).empty());
  EXPECT_EQ(context_change_items({}), "");
  EXPECT_EQ(context_changes({}, {5}, false), (std::vector<ContextChange>{{true, 0, {5}}}));
  EXPECT_EQ(context_changes({5}, {}, false), (std::vector<ContextChange>{{false, 0, {5}}}));
}

TEST(ContextUpdate, SortRunsAtPositions) {
  // RFC 5267 4.3.3's example: 2734:2735 becomes 2731:2735.
  auto ch = context_changes({2734, 2735}, {2731, 2732, 2733, 2734, 2735}, true);
  EXPECT_EQ(ch, (std::vector<ContextChange>{{true, 1, {2731, 2732, 2733}}}));
  EXPECT_EQ(context_change_items(ch), " ADDTO (1 2731:2733)");
  // Removals first, each run at its position after the runs before it.
  std::vector<uint32_t> before{30, 10, 20, 50, 40}, after{30, 20, 60, 40, 70};
  ch = context_changes(before, after, true);
  EXPECT_EQ(ch, (std::vector<ContextChange>{{false, 2, {10}}, {false, 3, {50}}, {true, 3, {60}}, {true, 5, {70}}}));
  EXPECT_EQ(context_change_items(ch), " REMOVEFROM (2 10 3 50) ADDTO (3 60 5 70)");
  EXPECT_EQ(replay(before, ch), after);
  // Descending runs are not written as ranges (RFC 5267 3.2).
  EXPECT_EQ(context_change_items(context_changes({}, {9, 8, 7}, true)), " ADDTO (1 9,8,7)");
}

TEST(ContextUpdate, SortMovedNumberIsRemovedAndAddedBack) {
  std::vector<uint32_t> before{1, 2, 3, 4}, after{2, 3, 4, 1};
  auto ch = context_changes(before, after, true);
  EXPECT_EQ(ch, (std::vector<ContextChange>{{false, 1, {1}}, {true, 4, {1}}}));
  EXPECT_EQ(replay(before, ch), after);
}

// Random lists of distinct numbers: applying the changes always gives the
// new list; nothing that stays in place is touched.
TEST(ContextUpdate, RandomListsRoundTrip) {
  std::mt19937 rng(5267);
  for (int round = 0; round < 500; ++round) {
    std::vector<uint32_t> pool(40);
    for (uint32_t i = 0; i < pool.size(); ++i) pool[i] = i + 1;
    std::shuffle(pool.begin(), pool.end(), rng);
    std::vector<uint32_t> before(pool.begin(), pool.begin() + static_cast<long>(rng() % 25));
    std::shuffle(pool.begin(), pool.end(), rng);
    std::vector<uint32_t> after(pool.begin(), pool.begin() + static_cast<long>(rng() % 25));
    EXPECT_EQ(replay(before, context_changes(before, after, true)), after);
    std::sort(before.begin(), before.end());
    std::sort(after.begin(), after.end());
    EXPECT_EQ(replay(before, context_changes(before, after, false)), after);
  }
  std::vector<uint32_t> same{5, 3, 9};
  EXPECT_TRUE(context_changes(same, same, true).empty());
}

}  // namespace
}  // namespace tern::imap
