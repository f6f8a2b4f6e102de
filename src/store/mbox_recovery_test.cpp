// Crash tests of the mbox folder (mbox_mailbox.h, mbox_rewrite.h): a
// delivery killed mid-append, a rewrite killed after its journal was
// durable (the mailbox half overwritten), and an unfinished journal.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>

#include "base/fs.h"
#include "store/mbox.h"
#include "store/mbox_journal.h"
#include "store/mbox_lock.h"
#include "store/mbox_mailbox.h"
#include "store/mbox_rewrite.h"
#include "store/store_test_util.h"

namespace tern::store {
namespace {

using test_util::slurp;
using test_util::TempDir;
using test_util::uids;

pid_t dead_pid() {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return child;
}

void spit(const std::string& path, std::string_view s) { std::ofstream(path, std::ios::binary) << s; }

TEST(MboxRecovery, TruncatedLastMessageOfADeadDeliveryIsRemoved) {
  TempDir d;
  const std::string path = d / "u";
  ASSERT_TRUE(mbox_deliver(path, "a@b", 0, "", "Subject: one\n\nfirst\n").ok());
  std::string before = slurp(path);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  AppendRecord dead = record_for_self();
  dead.pid = dead_pid();
  dead.has_append = true;
  dead.dev = st.st_dev;
  dead.ino = st.st_ino;
  dead.size_before = before.size();
  dead.size_after = before.size() + 5000;
  spit(path + ".lock", format_record(dead));
  std::ofstream(path, std::ios::app) << "From x Thu Jan  1 00:00:00 1970\nSubject: half\n\ncut";
  auto mb = MboxMailbox::open(path, "INBOX");
  ASSERT_TRUE(mb) << mb.error().detail;
  EXPECT_EQ(uids(**mb), (std::vector<uint32_t>{1}));
  EXPECT_EQ(*(*mb)->read(1), "Subject: one\n\nfirst\n");
  EXPECT_EQ(slurp(path).find("half"), std::string::npos);
  EXPECT_FALSE(fs::exists(path + ".lock"));
}

// A rewrite killed after its journal became durable, halfway through
// overwriting the mailbox: the next lock taker (here a delivery) finishes
// it before appending, so both the change and the new mail survive.
TEST(MboxRecovery, RewriteKilledMidCopyIsRedoneByTheNextLockTaker) {
  TempDir d;
  const std::string path = d / "u";
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(mbox_deliver(path, "a@b", 0, "", "Subject: m" + std::to_string(i) + "\n\nbody\n").ok());
  { ASSERT_TRUE(MboxMailbox::open(path, "INBOX")); }  // numbers them
  const std::string numbered = slurp(path);
  const std::string wanted_tail = "From x Thu Jan  1 00:00:00 1970\nX-UID: 9\nStatus: RO\n\nnew tail\n";
  const uint64_t from = numbered.find("From ", 1);
  pid_t child = ::fork();
  if (child == 0) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    auto lock = MboxLock::acquire(path, fd.get(), std::chrono::steady_clock::now() + std::chrono::seconds(5));
    if (!lock) ::_exit(2);
    auto st = mbox_rewrite_tail(path, fd.get(), from, [&](const MboxSink& sink) { return sink(wanted_tail); }, false);
    if (!st) ::_exit(3);
    // Half of the copy happened before the "crash".
    if (::pwrite(fd.get(), wanted_tail.data(), 20, static_cast<off_t>(from)) != 20) ::_exit(4);
    ::_exit(0);  // the dot-lock stays, its holder dead
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_TRUE(fs::exists(mbox_journal_path(path)));
  ASSERT_TRUE(mbox_deliver(path, "a@b", 0, "", "Subject: after\n\nx\n").ok());
  std::string now = slurp(path);
  EXPECT_EQ(now.substr(0, from + wanted_tail.size()), numbered.substr(0, from) + wanted_tail);
  EXPECT_NE(now.find("Subject: after"), std::string::npos);
  EXPECT_FALSE(fs::exists(mbox_journal_path(path)));
  auto mb = MboxMailbox::open(path, "INBOX");
  ASSERT_TRUE(mb) << mb.error().detail;
  EXPECT_EQ(uids(**mb), (std::vector<uint32_t>{1, 9, 10}));
}

TEST(MboxRecovery, UnfinishedJournalIsDiscardedAndTheMailboxKept) {
  TempDir d;
  const std::string path = d / "u";
  ASSERT_TRUE(mbox_deliver(path, "a@b", 0, "", "Subject: one\n\nfirst\n").ok());
  const std::string before = slurp(path);
  spit(mbox_journal_path(path), "tern-mbox-rewrite 1 dev=1 ino=2 old=3 fr");  // header never completed
  auto mb = MboxMailbox::open(path, "INBOX");
  ASSERT_TRUE(mb) << mb.error().detail;
  EXPECT_FALSE(fs::exists(mbox_journal_path(path)));
  EXPECT_EQ(*(*mb)->read(1), "Subject: one\n\nfirst\n");
}

TEST(MboxRecovery, JournalThatDoesNotFitIsLeftAndRefused) {
  TempDir d;
  const std::string path = d / "u";
  ASSERT_TRUE(mbox_deliver(path, "a@b", 0, "", "Subject: one\n\nfirst\n").ok());
  std::string header = "tern-mbox-rewrite 1 dev=1 ino=2 old=3 from=0 len=4";
  header.resize(255, ' ');
  spit(mbox_journal_path(path), header + "\nabcd");  // another file's
  const std::string before = slurp(path);
  auto mb = MboxMailbox::open(path, "INBOX");
  EXPECT_FALSE(mb);
  EXPECT_EQ(slurp(path), before);
  EXPECT_TRUE(fs::exists(mbox_journal_path(path)));
  EXPECT_FALSE(mbox_deliver(path, "a@b", 0, "", "Subject: two\n\nx\n").ok());  // deferred, not lost
  EXPECT_EQ(slurp(path), before);
}

}  // namespace
}  // namespace tern::store
