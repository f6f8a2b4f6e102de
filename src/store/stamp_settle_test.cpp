// Tests for the settle rule (stamp_settle.h): the rule itself, and, on the
// real file system of the temporary directory, that a change made after a
// stamp judged settled always moves that stamp.
#include "store/stamp_settle.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "base/fd.h"
#include "store/store_test_util.h"

using namespace tern::store;

namespace {

constexpr int64_t kSecond = 1000000000;

int64_t mtime_ns(int fd) {
  struct stat st;
  EXPECT_EQ(::fstat(fd, &st), 0);
  return int64_t{st.st_mtim.tv_sec} * kSecond + st.st_mtim.tv_nsec;
}

}  // namespace

TEST(StampSettle, FineStampsNeedOnlyToPredateTheClockRead) {
  const SettleMark fine{1000 * kSecond + 500, true};
  EXPECT_TRUE(is_settled(1000 * kSecond + 499, fine));
  EXPECT_FALSE(is_settled(1000 * kSecond + 500, fine));  // the same tick
  EXPECT_FALSE(is_settled(1000 * kSecond + 900, fine));
  // A whole second may be all the file system keeps: a second older, then.
  EXPECT_FALSE(is_settled(1000 * kSecond, fine));
  EXPECT_TRUE(is_settled(999 * kSecond, fine));
  const SettleMark coarse{1000 * kSecond + 500, false};
  EXPECT_FALSE(is_settled(1000 * kSecond + 499, coarse));
  EXPECT_FALSE(is_settled(999 * kSecond + 501, coarse));
  EXPECT_TRUE(is_settled(999 * kSecond + 499, coarse));
}

// Creating a file right after a stamp that was judged settled (in the same
// clock tick, mostly) must change the directory's mtime: 100 tries.
TEST(StampSettle, AChangeAfterASettledStampMovesIt) {
  test_util::TempDir t;
  tern::UniqueFd dir(::open(t.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(dir.valid());
  const bool fine = fine_stamps(dir.get());
  if (!fine) GTEST_SKIP() << "the temporary directory's file system keeps whole seconds or is unknown";
  int settled = 0, n = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (settled < 100 && std::chrono::steady_clock::now() < end) {
    const SettleMark mark = settle_mark(fine);
    const int64_t before = mtime_ns(dir.get());
    const bool trusted = is_settled(before, mark);
    const std::string name = std::to_string(n++);
    tern::UniqueFd f(::openat(dir.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    ASSERT_TRUE(f.valid());
    ::unlinkat(dir.get(), name.c_str(), 0);
    if (trusted) {
      ++settled;
      ASSERT_NE(mtime_ns(dir.get()), before) << "after " << settled << " settled stamps";
    }
    // Every other time, the clock is let pass that change (a tick, or, with
    // the multigrain stamps of Linux 6.13+, past the fine time a change
    // queried since gets), so that the next stamp is judged settled.
    if (n % 2 == 0) {
      const int64_t changed = mtime_ns(dir.get());
      while (settle_mark(fine).now_ns <= changed && std::chrono::steady_clock::now() < end) {
      }
    }
  }
  EXPECT_GE(settled, 50);
}
