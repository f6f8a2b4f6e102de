// Tests for the shutdown deadline: nothing happens when the shutdown ends
// in time; cut_short runs before the deadline; the process exits at it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "roles/shutdown_guard.h"

using namespace std::chrono_literals;
using tern::roles::ShutdownGuard;

namespace {

TEST(ShutdownGuard, EndingInTimeCutsNothingShort) {
  std::atomic<int> cuts{0};
  {
    ShutdownGuard g(10s, [&] { ++cuts; });
    EXPECT_GT(g.cut_short_at(), ShutdownGuard::Clock::now() + 8s);  // one second of grace
  }
  EXPECT_EQ(cuts, 0);
}

TEST(ShutdownGuard, CutsShortBeforeTheDeadline) {
  std::atomic<int> cuts{0};
  auto start = ShutdownGuard::Clock::now();
  // A second of grace before the deadline, for this test to end before it.
  ShutdownGuard g(2s, [&] { ++cuts; });
  EXPECT_LE(g.cut_short_at(), start + 1s + 50ms);
  while (cuts == 0 && ShutdownGuard::Clock::now() < start + 5s) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(cuts, 1);
}  // destroyed before the deadline: no exit

TEST(ShutdownGuardDeathTest, ExitsAtTheDeadline) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        ShutdownGuard g(200ms, [] {});  // grace: half of it
        std::this_thread::sleep_for(30s);  // a wait that never ends in time
      },
      testing::ExitedWithCode(0), "");
}

}  // namespace
