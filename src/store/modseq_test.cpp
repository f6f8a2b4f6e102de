// Tests of the tern-modseq format (modseq_log.h) and file (modseq_file.h).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "base/fd.h"
#include "store/modseq_file.h"
#include "store/modseq_log.h"
#include "store/store_test_util.h"

namespace tern::store {
namespace {

using test_util::TempDir;

TEST(ModseqLog, LastRecordWinsAndTornLineWaits) {
  ModseqTable t;
  std::string bytes = "tern-modseq 1 V77 E10\n+1 20 S 20\n+2 21 - 21\n-2 22\n+1 30 FSab 20\n+3 4";
  auto r = apply_modseq_lines(t, bytes, false);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_TRUE(r->header_read);
  EXPECT_EQ(r->used, bytes.size() - 4);  // "+3 4" is being written
  EXPECT_EQ(t.uidvalidity, 77u);
  EXPECT_EQ(t.highest, 30u);
  ASSERT_EQ(t.live.size(), 1u);
  EXPECT_EQ(t.live[1].modseq, 30u);
  EXPECT_EQ(t.live[1].sig, "FSab");
  ASSERT_EQ(t.expunged.size(), 1u);
  EXPECT_EQ(t.expunged[2], 22u);
  // The rest of the torn line arrives.
  auto more = apply_modseq_lines(t, "+3 40 T 40\n", true);
  ASSERT_TRUE(more);
  EXPECT_EQ(t.live[3].modseq, 40u);
  EXPECT_EQ(t.highest, 40u);
}

TEST(ModseqLog, DefectsRefuseTheFile) {
  for (std::string bad : std::vector<std::string>{"tern-modseq 2 V1 E0\n", "tern-modseq 1 V1\n", "garbage\n", "tern-modseq 1 V1 E0\n+0 5 S 5\n",
                          "tern-modseq 1 V1 E0\n+1 0 S 1\n", "tern-modseq 1 V1 E0\n+1 5 S\n", "tern-modseq 1 V1 E0\n+1 5 S 6\n", "tern-modseq 1 V1 E0\n+1 5 S/x 5\n",
                          "tern-modseq 1 V1 E0\n+1 05 S 5\n", "tern-modseq 1 V1 E0\n-1 5 S\n",
                          "tern-modseq 1 V1 E0\n+1 9223372036854775808 S 1\n", "tern-modseq 1 V1 E0\n+1  5 S 5\n",
                          "tern-modseq 1 V1 E0\n" + std::string(200, '+')}) {
    ModseqTable t;
    EXPECT_FALSE(apply_modseq_lines(t, bad, false)) << bad;
  }
}

TEST(ModseqLog, CompactionKeepsLiveAndRecentExpunges) {
  ModseqTable t;
  std::string bytes = "tern-modseq 1 V5 E0\n";
  for (uint32_t uid = 1; uid <= 10; ++uid) bytes += format_modseq_live(uid, uid, "S", uid);
  for (uint32_t uid = 1; uid <= 6; ++uid) bytes += format_modseq_expunged(uid, 100 + uid);
  ASSERT_TRUE(apply_modseq_lines(t, bytes, false));
  std::string compact = format_modseq_table(t, 2);
  ModseqTable again;
  ASSERT_TRUE(apply_modseq_lines(again, compact, false));
  EXPECT_EQ(again.live.size(), 4u);
  EXPECT_EQ(again.floor, 104u);  // expunges at 105 and 106 kept; the floor says older ones are forgotten
  EXPECT_EQ(again.expunged.size(), 2u);
  EXPECT_EQ(again.highest, 106u);
  EXPECT_EQ(again.live[7].modseq, 7u);
}

TEST(ModseqFile, AppendsAreSeenByAnotherReaderAndCompactionIsFollowed) {
  TempDir dir;
  UniqueFd fd(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  ModseqFile a(dir.path()), b(dir.path());
  ASSERT_TRUE(a.lock(fd.get()));
  ASSERT_TRUE(a.adopt(fd.get(), 42));
  const uint64_t first = a.next();
  a.record_live(1, first, "S", first);
  ASSERT_TRUE(a.commit(fd.get()));
  a.unlock();
  ASSERT_TRUE(b.lock(fd.get()));
  ASSERT_TRUE(b.adopt(fd.get(), 42));
  EXPECT_EQ(b.table().live.at(1).modseq, first);
  const uint64_t second = b.next();
  EXPECT_GT(second, first);
  b.unlock();
  // Enough changes to compact (the file is replaced by rename): a follows.
  for (int i = 0; i < 1100; ++i) {
    ASSERT_TRUE(b.lock(fd.get()));
    ASSERT_TRUE(b.adopt(fd.get(), 42));
    b.record_live(1, b.next(), i % 2 ? "S" : "FS", first);
    ASSERT_TRUE(b.commit(fd.get()));
    b.unlock();
  }
  EXPECT_LT(b.table().lines, 1100u);  // compacted
  ASSERT_TRUE(a.lock(fd.get()));
  ASSERT_TRUE(a.adopt(fd.get(), 42));
  EXPECT_EQ(a.table().live.at(1).modseq, b.table().highest);
  EXPECT_EQ(a.table().live.at(1).sig, "S");
  a.unlock();
}

TEST(ModseqFile, DamageOrAnotherUidvalidityStartsAfreshAboveEverything) {
  TempDir dir;
  UniqueFd fd(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  ModseqFile a(dir.path());
  ASSERT_TRUE(a.lock(fd.get()));
  ASSERT_TRUE(a.adopt(fd.get(), 1));
  uint64_t m = a.next();
  a.record_live(7, m, "S", m);
  ASSERT_TRUE(a.commit(fd.get()));
  a.unlock();
  // The index was rebuilt: a new UIDVALIDITY forgets the old records.
  ModseqFile b(dir.path());
  ASSERT_TRUE(b.lock(fd.get()));
  ASSERT_TRUE(b.adopt(fd.get(), 2));
  EXPECT_TRUE(b.table().live.empty());
  EXPECT_GE(b.table().floor, m);
  b.unlock();
  // Garbage written over it: started afresh, mod-sequences still grow.
  test_util::write_file(dir / kModseqName, "not a modseq file\n");
  ModseqFile c(dir.path());
  ASSERT_TRUE(c.lock(fd.get()));
  ASSERT_TRUE(c.adopt(fd.get(), 2));
  EXPECT_TRUE(c.table().live.empty());
  EXPECT_GT(c.next(), m);
  c.unlock();
  // A symlink planted in its place is not followed.
  ::unlink((dir / kModseqName).c_str());
  ASSERT_EQ(::symlink("/etc/passwd", (dir / kModseqName).c_str()), 0);
  ModseqFile d(dir.path());
  ASSERT_TRUE(d.lock(fd.get()));
  ASSERT_TRUE(d.adopt(fd.get(), 2));
  d.unlock();
  struct stat st;
  ASSERT_EQ(::lstat((dir / kModseqName).c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
}

}  // namespace
}  // namespace tern::store
