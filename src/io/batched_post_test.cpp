// Tests for post_batched: handlers queued for one loop run together, in
// order, on the loop's thread, from one wakeup.
#include "io/batched_post.h"

#include "base/burst.h"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <string>
#include <thread>
#include <vector>

namespace tern::io {
namespace {

TEST(BatchedPost, HandlersQueuedWhileTheLoopSleptRunFromOneWakeup) {
  asio::io_context ctx;
  std::vector<int> order;
  for (int i = 0; i < 100; ++i) post_batched(ctx.get_executor(), [&order, i] { order.push_back(i); });
  // One handler of the loop's runs all of them: a post per handler would
  // leave 99 for later.
  EXPECT_EQ(ctx.poll_one(), 1u);
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
  EXPECT_EQ(ctx.poll(), 0u);  // nothing else was posted
}

TEST(BatchedPost, AHandlerQueuedAfterARunPostsAgain) {
  asio::io_context ctx;
  int ran = 0;
  post_batched(ctx.get_executor(), [&] { ++ran; });
  ctx.poll();
  ctx.restart();
  post_batched(ctx.get_executor(), [&] { ++ran; });
  EXPECT_EQ(ctx.poll(), 1u);
  EXPECT_EQ(ran, 2);
}

TEST(BatchedPost, HandlersFromAnotherThreadRunOnTheLoopsThreadAndNoneIsLost) {
  asio::io_context ctx;
  auto guard = asio::make_work_guard(ctx);
  std::thread loop([&] { ctx.run(); });
  std::atomic<int> ran{0};
  std::atomic<bool> wrong_thread{false};
  const auto loop_id = loop.get_id();
  constexpr int kCount = 20000;
  std::thread poster([&] {
    for (int i = 0; i < kCount; ++i)
      post_batched(ctx.get_executor(), [&] {
        if (std::this_thread::get_id() != loop_id) wrong_thread = true;
        ++ran;
      });
  });
  poster.join();
  // A last handler, queued after all the others, stops the loop.
  post_batched(ctx.get_executor(), [&] { guard.reset(); });
  loop.join();
  EXPECT_EQ(ran.load(), kCount);
  EXPECT_FALSE(wrong_thread.load());
}

TEST(BatchedPost, EachLoopHasItsOwnQueue) {
  asio::io_context a, b;
  int in_a = 0, in_b = 0;
  post_batched(a.get_executor(), [&] { ++in_a; });
  post_batched(b.get_executor(), [&] { ++in_b; });
  post_batched(b.get_executor(), [&] { ++in_b; });
  a.poll();
  EXPECT_EQ(in_a, 1);
  EXPECT_EQ(in_b, 0);
  b.poll();
  EXPECT_EQ(in_b, 2);
}

TEST(BatchedPost, InABurstARunningLoopGetsNothingUntilTheBurstEnds) {
  asio::io_context ctx;
  auto guard = asio::make_work_guard(ctx);
  std::thread loop([&] { ctx.run(); });
  std::atomic<int> ran{0};
  constexpr int kCount = 5000;
  {
    base::Burst burst;
    for (int i = 0; i < kCount; ++i) post_batched(ctx.get_executor(), [&] { ++ran; });
    std::this_thread::yield();
    EXPECT_EQ(ran.load(), 0);  // held back, though the loop is awake to run it
  }
  post_batched(ctx.get_executor(), [&] { guard.reset(); });
  loop.join();
  EXPECT_EQ(ran.load(), kCount);
}

TEST(BatchedPost, ABurstDefersEachLoopsWakeupOnceAndInOrder) {
  asio::io_context a, b;
  std::vector<std::string> order;
  {
    base::Burst outer;
    post_batched(a.get_executor(), [&] { order.push_back("a1"); });
    {
      base::Burst inner;  // ends with the outer one
      post_batched(b.get_executor(), [&] { order.push_back("b1"); });
      post_batched(a.get_executor(), [&] { order.push_back("a2"); });
    }
    EXPECT_EQ(a.poll(), 0u);  // not posted yet
    a.restart();
    EXPECT_EQ(b.poll(), 0u);
    b.restart();
  }
  EXPECT_EQ(a.poll_one(), 1u);  // one wakeup, both handlers
  EXPECT_EQ(b.poll(), 1u);
  EXPECT_EQ(order, (std::vector<std::string>{"a1", "a2", "b1"}));
}

struct CountingTask final : BatchedTask {
  using BatchedTask::BatchedTask;
  void run() override { ++runs; }
  int runs = 0;
};

TEST(BatchedTask, QueuedTwiceBeforeItRunsItRunsOnceAndAgainWhenQueuedAfter) {
  asio::io_context ctx;
  auto task = std::make_shared<CountingTask>(ctx.get_executor());
  task->schedule();
  task->schedule();
  ctx.poll();
  EXPECT_EQ(task->runs, 1);
  ctx.restart();
  task->schedule();
  ctx.poll();
  EXPECT_EQ(task->runs, 2);
}

TEST(BatchedTask, ItLivesUntilItRanThoughItsOwnerLetItGo) {
  asio::io_context ctx;
  auto task = std::make_shared<CountingTask>(ctx.get_executor());
  std::weak_ptr<CountingTask> watch = task;
  task->schedule();
  CountingTask* raw = task.get();
  task.reset();
  EXPECT_FALSE(watch.expired());  // the loop's queue holds it
  int runs_seen = 0;
  post_batched(ctx.get_executor(), [&] { runs_seen = raw->runs; });  // queued behind it, runs before it is let go
  ctx.poll();
  EXPECT_EQ(runs_seen, 1);
  EXPECT_TRUE(watch.expired());
}

TEST(BatchedTask, TasksAndHandlersOfOneLoopShareOneWakeupInOrder) {
  asio::io_context ctx;
  std::vector<std::string> order;
  struct Named final : BatchedTask {
    Named(asio::any_io_executor ex, std::vector<std::string>& o) : BatchedTask(std::move(ex)), order(o) {}
    void run() override { order.push_back("task"); }
    std::vector<std::string>& order;
  };
  auto task = std::make_shared<Named>(ctx.get_executor(), order);
  post_batched(ctx.get_executor(), [&] { order.push_back("before"); });
  task->schedule();
  post_batched(ctx.get_executor(), [&] { order.push_back("after"); });
  EXPECT_EQ(ctx.poll_one(), 1u);
  EXPECT_EQ(order, (std::vector<std::string>{"before", "task", "after"}));
}

TEST(BatchedTask, ScheduledFromManyThreadsItNeverRunsTwiceAtOnceAndRunsAfterTheLast) {
  asio::io_context ctx;
  auto guard = asio::make_work_guard(ctx);
  std::thread loop([&] { ctx.run(); });
  struct Told final : BatchedTask {
    using BatchedTask::BatchedTask;
    void run() override { seen = told.load(); ++runs; }
    std::atomic<int> told{0};
    int seen = 0;  // only on the loop's thread
    int runs = 0;
  };
  auto task = std::make_shared<Told>(ctx.get_executor());
  std::vector<std::thread> tellers;
  for (int t = 0; t < 4; ++t)
    tellers.emplace_back([&] {
      for (int i = 0; i < 5000; ++i) {
        ++task->told;
        task->schedule();
      }
    });
  for (auto& t : tellers) t.join();
  std::atomic<int> last_seen{-1};
  post_batched(ctx.get_executor(), [&] {
    last_seen = task->seen;
    guard.reset();
  });
  loop.join();
  // Every telling is followed by a run that saw it: the last run saw all.
  EXPECT_EQ(last_seen.load(), 20000);
  EXPECT_GE(task->runs, 1);
  EXPECT_LE(task->runs, 20000);
}

TEST(BatchedPost, HandlersNeverRunAreDroppedWithTheirLoop) {
  auto alive = std::make_shared<int>(0);
  std::weak_ptr<int> watch = alive;
  {
    asio::io_context ctx;
    post_batched(ctx.get_executor(), [keep = std::move(alive)] {});
  }
  EXPECT_TRUE(watch.expired());
}

}  // namespace
}  // namespace tern::io
