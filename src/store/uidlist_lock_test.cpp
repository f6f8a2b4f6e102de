// UidlistLock (uidlist_file.h): threads of one process queue on the
// folder's mutex and are let in as soon as the holder lets go; a holder
// that keeps it past the timeout makes the waiter fail with 4.2.0; the
// dotlock file of another process is still honoured.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "base/fd.h"
#include "store/store_test_util.h"
#include "store/uidlist_file.h"

using namespace tern;
using namespace tern::store;
using test_util::TempDir;

namespace {

TEST(UidlistLock, ThreadsTakeTurns) {
  TempDir dir;
  UniqueFd fd(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(fd.valid());
  std::atomic<int> inside{0}, most{0}, done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto lock = UidlistLock::acquire(fd.get(), dir.path());
        ASSERT_TRUE(lock) << lock.error().detail;
        int now = ++inside;
        most = std::max(most.load(), now);
        struct stat st;
        EXPECT_EQ(::fstatat(fd.get(), kUidlistLockName, &st, 0), 0);  // the dotlock is there for others
        --inside;
        ++done;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(most.load(), 1);
  EXPECT_EQ(done.load(), 200);
  struct stat st;
  EXPECT_NE(::fstatat(fd.get(), kUidlistLockName, &st, 0), 0);  // and gone after the last
}

TEST(UidlistLock, WaiterTimesOutWhileHeld) {
  TempDir dir;
  UniqueFd fd(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  auto held = UidlistLock::acquire(fd.get(), dir.path());
  ASSERT_TRUE(held);
  std::string dsn = "not run";
  std::thread t([&] {
    auto other = UidlistLock::acquire(fd.get(), dir.path(), 50);
    dsn = other ? "locked" : other.error().dsn;
  });
  t.join();
  EXPECT_EQ(dsn, "4.2.0");
}

TEST(UidlistLock, AnotherProcessesLockFileIsWaitedFor) {
  TempDir dir;
  UniqueFd fd(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  // A lock file as Dovecot leaves it while it works: fresh, a live pid.
  {
    UniqueFd f(::openat(fd.get(), kUidlistLockName, O_WRONLY | O_CREAT | O_EXCL, 0600));
    ASSERT_TRUE(f.valid());
    std::string who = std::to_string(::getppid()) + ":elsewhere";
    ASSERT_EQ(::write(f.get(), who.data(), who.size()), static_cast<ssize_t>(who.size()));
  }
  auto refused = UidlistLock::acquire(fd.get(), dir.path(), 30);
  ASSERT_FALSE(refused);
  std::thread remover([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ::unlinkat(fd.get(), kUidlistLockName, 0);
  });
  auto got = UidlistLock::acquire(fd.get(), dir.path(), 5000);
  remover.join();
  EXPECT_TRUE(got);
}

}  // namespace
