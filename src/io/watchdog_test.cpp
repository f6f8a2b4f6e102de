// Tests for the Watchdog: a deadline cancels the stream once; fire_now()
// does the same at once; rewind() lets a watchdog fired by fire_now() watch
// again with the same timer, and refuses once the deadline fired it.
#include "io/watchdog.h"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>

#include "io/fake_clock.h"

namespace tern::io {
namespace {

// A stream that only counts cancels: the watchdog never reads or writes.
class CancelCounter final : public Stream {
 public:
  explicit CancelCounter(asio::any_io_executor ex) : ex_(std::move(ex)) {}
  asio::any_io_executor get_executor() override { return ex_; }
  asio::awaitable<size_t> read_some(asio::mutable_buffer, asio::error_code& ec) override {
    ec = asio::error::operation_not_supported;
    co_return 0;
  }
  asio::awaitable<void> write(asio::const_buffer, asio::error_code& ec) override {
    ec = asio::error::operation_not_supported;
    co_return;
  }
  size_t available() override { return 0; }
  void cancel() override { ++cancels; }
  void close() override {}
  int cancels = 0;

 private:
  asio::any_io_executor ex_;
};

struct WatchdogTest : ::testing::Test {
  void run() {
    ctx.restart();
    ctx.poll();
  }
  asio::io_context ctx;
  FakeClock clock;
  CancelCounter stream{ctx.get_executor()};
  std::shared_ptr<Watchdog> dog = std::make_shared<Watchdog>(stream, clock);
};

TEST_F(WatchdogTest, TheDeadlineCancelsOnceAndCannotBeRewound) {
  dog->start();
  dog->arm(std::chrono::seconds(30));
  run();
  EXPECT_EQ(stream.cancels, 0);
  clock.advance(std::chrono::seconds(30));
  run();
  EXPECT_TRUE(dog->fired());
  EXPECT_EQ(stream.cancels, 1);
  EXPECT_FALSE(dog->rewind());
  EXPECT_TRUE(dog->fired());
  EXPECT_EQ(clock.waiting(), 0u);  // its coroutine ended
}

TEST_F(WatchdogTest, FireNowCancelsAtOnceAndRewindKeepsTheSameTimer) {
  dog->start();
  dog->arm(std::chrono::seconds(30));
  run();
  ASSERT_EQ(clock.waiting(), 1u);
  dog->fire_now();
  dog->fire_now();  // told twice: cancelled once
  EXPECT_TRUE(dog->fired());
  EXPECT_EQ(stream.cancels, 1);
  ASSERT_TRUE(dog->rewind());
  EXPECT_FALSE(dog->fired());
  EXPECT_EQ(clock.waiting(), 1u);  // still the one wait, never reset
  // Pushed again and rewound again, many times: no new waits.
  for (int i = 0; i < 5; ++i) {
    dog->fire_now();
    ASSERT_TRUE(dog->rewind());
    run();
  }
  EXPECT_EQ(stream.cancels, 6);
  EXPECT_EQ(clock.waiting(), 1u);
  // The deadline still holds after all that.
  clock.advance(std::chrono::seconds(30));
  run();
  EXPECT_TRUE(dog->fired());
  EXPECT_EQ(stream.cancels, 7);
  EXPECT_FALSE(dog->rewind());
}

TEST_F(WatchdogTest, ALaterDeadlineAfterRewindIsKept) {
  dog->start();
  dog->arm(std::chrono::seconds(30));
  run();
  clock.advance(std::chrono::seconds(20));
  dog->fire_now();
  ASSERT_TRUE(dog->rewind());
  dog->arm(std::chrono::seconds(30));  // now due at 50 s
  run();
  clock.advance(std::chrono::seconds(10));  // the old deadline, 30 s: not yet
  run();
  EXPECT_FALSE(dog->fired());
  EXPECT_EQ(stream.cancels, 1);
  clock.advance(std::chrono::seconds(20));
  run();
  EXPECT_TRUE(dog->fired());
  EXPECT_EQ(stream.cancels, 2);
}

TEST_F(WatchdogTest, AnEarlierDeadlineAfterRewindFiresThen) {
  dog->start();
  dog->arm(std::chrono::seconds(30));
  run();
  dog->fire_now();
  ASSERT_TRUE(dog->rewind());
  dog->arm(std::chrono::seconds(0));  // a push that came while busy: look at once
  run();
  EXPECT_TRUE(dog->fired());
  EXPECT_EQ(stream.cancels, 2);
  EXPECT_FALSE(dog->rewind());
}

TEST_F(WatchdogTest, AStoppedWatchdogNeitherFiresNorRewinds) {
  dog->start();
  dog->arm(std::chrono::seconds(30));
  run();
  dog->stop();
  run();
  EXPECT_FALSE(dog->rewind());
  dog->fire_now();
  EXPECT_FALSE(dog->fired());
  EXPECT_EQ(stream.cancels, 0);
  EXPECT_EQ(clock.waiting(), 0u);
}

}  // namespace
}  // namespace tern::io
