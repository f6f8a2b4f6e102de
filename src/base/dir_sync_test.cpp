// Tests for DirSyncGroup with an injected fsync that the test steps through:
// which fsync answers which caller, and what a failure means for entries
// made before it ("fsyncgate": a later fsync returning 0 proves nothing).
#include "base/dir_sync.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace {

using tern::DirSyncGroup;
using tern::Status;

// An fsync the test controls: call number i (from 0) blocks until the test
// releases it, then returns results[i].
class SteppedFsync {
 public:
  explicit SteppedFsync(std::vector<bool> results) : results_(std::move(results)) {}
  Status operator()(const std::string& dir) {
    std::unique_lock lock(mu_);
    size_t me = started_++;
    cv_.notify_all();
    cv_.wait(lock, [&] { return released_ > me; });
    if (me < results_.size() && !results_[me]) return tern::Error::temp("fsync " + dir + ": Input/output error");
    return tern::ok_status();
  }
  void await_started(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return started_ >= n; });
  }
  void release_one() {
    std::lock_guard lock(mu_);
    ++released_;
    cv_.notify_all();
  }
  size_t started() {
    std::lock_guard lock(mu_);
    return started_;
  }

 private:
  std::vector<bool> results_;
  std::mutex mu_;
  std::condition_variable cv_;
  size_t started_ = 0, released_ = 0;
};

DirSyncGroup stepped(SteppedFsync& f) {
  return DirSyncGroup([&f](const std::string& d) { return f(d); });
}

TEST(DirSyncGroup, ConcurrentCallersAllReturnOk) {
  DirSyncGroup g;
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i)
    ts.emplace_back([&] {
      for (int j = 0; j < 20; ++j) {
        auto t = g.enter("/tmp");
        if (g.sync(t)) ++ok;
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), 160);
  auto t = g.enter("/nonexistent-dir-for-tern-test");
  EXPECT_FALSE(g.sync(t));
}

// The defect of issue 7 item 2: B's entry was linked while fsync #1 ran;
// #1 fails, #2 (run for B) succeeds. B must still get the error.
TEST(DirSyncGroup, EntryLinkedBeforeAFailedFsyncIsNotDurable) {
  SteppedFsync f({false, true});
  auto g = stepped(f);
  Status a_result = tern::ok_status(), b_result = tern::ok_status();
  std::thread a([&] {
    auto t = g.enter("d");
    a_result = g.sync(t);
  });
  f.await_started(1);
  auto tb = g.enter("d");  // B links its entry now, during fsync #1
  std::thread b([&] { b_result = g.sync(tb); });
  f.release_one();  // #1 fails
  a.join();
  f.await_started(2);  // B runs #2 itself
  f.release_one();     // #2 succeeds
  b.join();
  EXPECT_FALSE(a_result);
  EXPECT_FALSE(b_result) << "a later successful fsync was trusted for an entry from before the failure";
  EXPECT_EQ(f.started(), 2u);
}

// A caller whose sync() begins while an fsync runs is answered by the next
// fsync, never by the one already running.
TEST(DirSyncGroup, AnsweredOnlyByAnFsyncThatStartedAfterTheCall) {
  SteppedFsync f({true, false});
  auto g = stepped(f);
  Status a_result = tern::Error::temp("unset"), b_result = tern::ok_status();
  std::thread a([&] {
    auto t = g.enter("d");
    a_result = g.sync(t);
  });
  f.await_started(1);
  std::thread b([&] {
    auto t = g.enter("d");
    b_result = g.sync(t);
  });
  // B is waiting for #1 to end; #1 succeeds, A is answered by it.
  f.release_one();
  a.join();
  EXPECT_TRUE(a_result);
  f.await_started(2);
  f.release_one();  // #2, the one B waited for, fails
  b.join();
  EXPECT_FALSE(b_result);
}

// A ticket from before a failure keeps failing however late it asks; a
// ticket taken after it is judged by a new fsync: the directory recovers.
TEST(DirSyncGroup, FailureSticksToOlderTicketsOnly) {
  SteppedFsync f({false, true, true});
  auto g = stepped(f);
  auto old_ticket = g.enter("d");
  std::thread a([&] {
    auto t = g.enter("d");
    EXPECT_FALSE(g.sync(t));
  });
  f.await_started(1);
  f.release_one();
  a.join();
  for (int i = 0; i < 3; ++i) f.release_one();  // #2, #3 and #4 may run and succeed
  EXPECT_FALSE(g.sync(old_ticket));
  auto fresh = g.enter("d");
  EXPECT_TRUE(g.sync(fresh));
  // Another directory is not affected by d's failure.
  auto other = g.enter("e");
  EXPECT_TRUE(g.sync(other));
}

}  // namespace
