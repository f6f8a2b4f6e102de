// Tests for Burst: deferred work runs once per key, in order, when the
// outermost burst ends; outside a burst nothing is deferred.
#include "base/burst.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace tern::base {
namespace {

TEST(Burst, OutsideABurstNothingIsDeferred) {
  int ran = 0;
  EXPECT_FALSE(Burst::defer(&ran, [&] { ++ran; }));
  EXPECT_EQ(ran, 0);  // the caller does it itself
}

TEST(Burst, DeferredWorkRunsOncePerKeyInOrderAtTheOutermostEnd) {
  std::vector<std::string> order;
  int k1 = 0, k2 = 0;
  {
    Burst outer;
    EXPECT_TRUE(Burst::defer(&k1, [&] { order.push_back("k1"); }));
    {
      Burst inner;
      EXPECT_TRUE(Burst::defer(&k2, [&] { order.push_back("k2"); }));
      EXPECT_TRUE(Burst::defer(&k1, [&] { order.push_back("k1 again"); }));  // dropped
    }
    EXPECT_TRUE(order.empty());
  }
  EXPECT_EQ(order, (std::vector<std::string>{"k1", "k2"}));
  // The burst is over: the next one starts empty.
  { Burst again; }
  EXPECT_EQ(order.size(), 2u);
}

TEST(Burst, WorkRunAtTheEndMayBeginABurstOfItsOwn) {
  int inner_ran = 0, key = 0, inner_key = 0;
  {
    Burst b;
    Burst::defer(&key, [&] {
      Burst nested;
      EXPECT_TRUE(Burst::defer(&inner_key, [&] { ++inner_ran; }));
    });
  }
  EXPECT_EQ(inner_ran, 1);
}

TEST(Burst, EachThreadHasItsOwn) {
  int key = 0;
  bool deferred_elsewhere = true;
  Burst b;
  std::thread t([&] { deferred_elsewhere = Burst::defer(&key, [] {}); });
  t.join();
  EXPECT_FALSE(deferred_elsewhere);
}

}  // namespace
}  // namespace tern::base
