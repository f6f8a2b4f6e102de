// UidlistLock (uidlist_file.h): threads of one process queue on the
// folder's mutex and are let in as soon as the holder lets go; a holder
// that keeps it past the timeout makes the waiter fail with 4.2.0; the
// dotlock file of another process is still honoured; the lock is a link to
// the process's holder file in the folder's tmp/ (dotlock_link.h), fresh
// and saying who holds it, and the holder is made again when it went.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
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

std::vector<std::string> holders(const std::string& tmp) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(tmp)) out.push_back(e.path().filename().string());
  return out;
}

TEST(UidlistLock, IsALinkToTheProcessesHolderInTmp) {
  TempDir dir;
  ASSERT_EQ(::mkdir((dir / "tmp").c_str(), 0700), 0);
  UniqueFd fd(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ino_t holder_ino = 0;
  {
    auto lock = UidlistLock::acquire(fd.get(), dir.path());
    ASSERT_TRUE(lock) << lock.error().detail;
    struct stat st;
    ASSERT_EQ(::stat((dir / kUidlistLockName).c_str(), &st), 0);
    EXPECT_EQ(st.st_nlink, 2u);
    holder_ino = st.st_ino;
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    EXPECT_EQ(test_util::slurp(dir / kUidlistLockName), std::to_string(::getpid()) + ":" + host);
    auto names = holders(dir / "tmp");
    ASSERT_EQ(names.size(), 1u);
    EXPECT_TRUE(names[0].starts_with("tern-lock.")) << names[0];
  }
  // Let go: the lock's name is gone, the holder stays for the next lock.
  EXPECT_NE(::access((dir / kUidlistLockName).c_str(), F_OK), 0);
  auto names = holders(dir / "tmp");
  ASSERT_EQ(names.size(), 1u);
  const std::string holder = dir / ("tmp/" + names[0]);
  // A holder last touched an hour ago still makes a fresh lock (a lock's
  // age is its mtime: two minutes old, others break it).
  struct timespec old_times[2] = {{::time(nullptr) - 3600, 0}, {::time(nullptr) - 3600, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, holder.c_str(), old_times, 0), 0);
  {
    auto lock = UidlistLock::acquire(fd.get(), dir.path());
    ASSERT_TRUE(lock);
    struct stat st;
    ASSERT_EQ(::stat((dir / kUidlistLockName).c_str(), &st), 0);
    EXPECT_EQ(st.st_ino, holder_ino);  // no new inode per lock
    EXPECT_GE(st.st_mtime, ::time(nullptr) - 5);
  }
  // A tmp/ cleaner removed the holder: a new one is made.
  ASSERT_EQ(::unlink(holder.c_str()), 0);
  {
    auto lock = UidlistLock::acquire(fd.get(), dir.path());
    ASSERT_TRUE(lock) << lock.error().detail;
    EXPECT_EQ(holders(dir / "tmp").size(), 1u);
  }
  // The holder replaced by something else of the same name: not linked.
  names = holders(dir / "tmp");
  ASSERT_EQ(names.size(), 1u);
  const std::string replaced = dir / ("tmp/" + names[0]);
  ASSERT_EQ(::unlink(replaced.c_str()), 0);
  std::ofstream(replaced) << "someone else's file";
  {
    auto lock = UidlistLock::acquire(fd.get(), dir.path());
    ASSERT_TRUE(lock) << lock.error().detail;
    EXPECT_EQ(test_util::slurp(dir / kUidlistLockName).find("someone"), std::string::npos);
  }
  EXPECT_EQ(test_util::slurp(replaced), "someone else's file");
}

// Held by another process (a plain lock file), with a holder in tmp/: the
// link fails as the create did, and the lock is waited for.
TEST(UidlistLock, AnotherProcessesLockIsWaitedForWithAHolderToo) {
  TempDir dir;
  ASSERT_EQ(::mkdir((dir / "tmp").c_str(), 0700), 0);
  UniqueFd fd(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  { auto warm = UidlistLock::acquire(fd.get(), dir.path()); ASSERT_TRUE(warm); }
  std::ofstream(dir / kUidlistLockName) << ::getppid() << ":elsewhere";
  auto refused = UidlistLock::acquire(fd.get(), dir.path(), 30);
  ASSERT_FALSE(refused);
  EXPECT_EQ(test_util::slurp(dir / kUidlistLockName), std::to_string(::getppid()) + ":elsewhere");
  ASSERT_EQ(::unlink((dir / kUidlistLockName).c_str()), 0);
  auto got = UidlistLock::acquire(fd.get(), dir.path(), 1000);
  EXPECT_TRUE(got);
}

}  // namespace
