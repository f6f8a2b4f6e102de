// Tests of a Maildir folder's mod-sequences (CONDSTORE, RFC 7162) through
// the Mailbox interface: shared by sessions, given to changes nobody
// recorded (another program renaming a file), expunges remembered, and
// UNCHANGEDSINCE checked.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "store/maildir_mailbox.h"
#include "store/maildir_store.h"
#include "store/modseq_file.h"
#include "store/store_test_util.h"

using namespace tern::store;
using test_util::open_ok;
using test_util::TempDir;
namespace stdfs = std::filesystem;

namespace {

const MessageInfo& only(const Mailbox& mb, uint32_t uid) {
  const MessageInfo* m = mb.find(uid);
  EXPECT_NE(m, nullptr) << uid;
  static MessageInfo none;
  return m ? *m : none;
}

}  // namespace

TEST(MaildirModseq, SessionsShareModseqsAndSeeEachOthersChanges) {
  TempDir t;
  MaildirStore store(t / "acct");
  auto a = open_ok(store, "INBOX");
  ASSERT_TRUE(a->append("Subject: 1\n\none\n", 0, 0));
  ASSERT_TRUE(a->append("Subject: 2\n\ntwo\n", 0, 0));
  ASSERT_TRUE(a->enable_modseqs());
  ASSERT_TRUE(a->refresh());
  const uint64_t start = a->modseq();
  ASSERT_GT(start, 0u);
  EXPECT_EQ(only(*a, 1).modseq, only(*a, 2).modseq);  // first seen together
  EXPECT_LE(only(*a, 1).modseq, start);

  auto b = open_ok(store, "INBOX");
  ASSERT_TRUE(b->enable_modseqs());
  ASSERT_TRUE(b->refresh());
  EXPECT_EQ(b->modseq(), start);
  EXPECT_EQ(only(*b, 1).modseq, only(*a, 1).modseq);

  auto r = a->store_flags(1, kFlagSeen, 0, {"$Work"}, {});
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_GT((*r)->modseq, start);
  EXPECT_EQ(a->modseq(), (*r)->modseq);
  auto seen = b->refresh();
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->flags_changed, std::vector<uint32_t>{1});
  EXPECT_EQ(only(*b, 1).modseq, only(*a, 1).modseq);
  EXPECT_EQ(b->modseq(), a->modseq());
  EXPECT_EQ(only(*b, 2).modseq, only(*a, 2).modseq);  // untouched: unchanged
}

TEST(MaildirModseq, AChangeNobodyRecordedGetsAModseqAboveAllOthers) {
  TempDir t;
  MaildirStore store(t / "acct");
  auto a = open_ok(store, "INBOX");
  ASSERT_TRUE(a->append("Subject: 1\n\none\n", 0, 0));
  ASSERT_TRUE(a->enable_modseqs());
  ASSERT_TRUE(a->refresh());
  const uint64_t before = a->modseq();
  // Another program (mutt, a session not tracking modseqs) sets \Flagged.
  auto other = open_ok(store, "INBOX");
  ASSERT_TRUE(other->set_flags(1, kFlagFlagged, 0));
  auto seen = a->refresh();
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->flags_changed, std::vector<uint32_t>{1});
  EXPECT_GT(only(*a, 1).modseq, before);
  EXPECT_EQ(a->modseq(), only(*a, 1).modseq);
  // A new session finds the same: the change is recorded once.
  auto c = open_ok(store, "INBOX");
  ASSERT_TRUE(c->enable_modseqs());
  ASSERT_TRUE(c->refresh());
  EXPECT_EQ(only(*c, 1).modseq, only(*a, 1).modseq);
}

TEST(MaildirModseq, ExpungesAreRememberedWithTheirModseq) {
  TempDir t;
  MaildirStore store(t / "acct");
  auto a = open_ok(store, "INBOX");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(a->append("Subject: x\n\nx\n", 0, 0));
  ASSERT_TRUE(a->enable_modseqs());
  ASSERT_TRUE(a->refresh());
  const uint64_t before = a->modseq();
  auto none = a->expunged_since(before);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(a->expunge(2));
  EXPECT_GT(a->modseq(), before);
  auto gone = a->expunged_since(before);
  ASSERT_TRUE(gone);
  EXPECT_EQ(*gone, std::vector<uint32_t>{2});
  EXPECT_TRUE(a->expunged_since(a->modseq())->empty());
  // An expunge by someone not tracking (a file removed) is found and recorded.
  auto other = open_ok(store, "INBOX");
  ASSERT_TRUE(other->expunge(3));
  auto b = open_ok(store, "INBOX");
  ASSERT_TRUE(b->enable_modseqs());
  ASSERT_TRUE(b->refresh());
  EXPECT_EQ(*b->expunged_since(before), (std::vector<uint32_t>{2, 3}));
  EXPECT_GT(b->modseq(), a->modseq());
  // Older than the file remembers: the caller is told it does not know.
  EXPECT_FALSE(b->expunged_since(0));
}

TEST(MaildirModseq, UnchangedSinceRefusesAMessageChangedAfterIt) {
  TempDir t;
  MaildirStore store(t / "acct");
  auto a = open_ok(store, "INBOX");
  ASSERT_TRUE(a->append("Subject: 1\n\none\n", 0, 0));
  ASSERT_TRUE(a->enable_modseqs());
  ASSERT_TRUE(a->refresh());
  const uint64_t known = only(*a, 1).modseq;
  auto b = open_ok(store, "INBOX");
  ASSERT_TRUE(b->enable_modseqs());
  ASSERT_TRUE(b->refresh());
  ASSERT_TRUE(b->store_flags(1, kFlagSeen, 0, {}, {}));
  // a's snapshot still says `known`, but the record says later: refused.
  auto r = a->store_flags(1, kFlagDeleted, 0, {}, {}, known);
  ASSERT_FALSE(r);
  EXPECT_TRUE(is_modified(r.error()));
  ASSERT_TRUE(a->refresh());
  EXPECT_FALSE(only(*a, 1).flags & kFlagDeleted);
  // With the current modseq it goes through.
  auto ok = a->store_flags(1, kFlagDeleted, 0, {}, {}, only(*a, 1).modseq);
  ASSERT_TRUE(ok);
  EXPECT_TRUE((*ok)->flags & kFlagDeleted);
  // A rename by someone who left no record: refused too (changed at an unknown modseq).
  auto other = open_ok(store, "INBOX");
  ASSERT_TRUE(other->set_flags(1, kFlagFlagged, 0));
  auto late = a->store_flags(1, 0, kFlagDeleted, {}, {}, only(*a, 1).modseq);
  ASSERT_FALSE(late);
  EXPECT_TRUE(is_modified(late.error()));
  // UNCHANGEDSINCE 0 fails for every message (RFC 7162 3.1.3).
  EXPECT_FALSE(a->store_flags(1, kFlagSeen, 0, {}, {}, 0));
}

TEST(MaildirModseq, ANewUidvalidityRestartsAboveTheOldModseqs) {
  TempDir t;
  MaildirStore store(t / "acct");
  auto a = open_ok(store, "INBOX");
  ASSERT_TRUE(a->append("Subject: 1\n\none\n", 0, 0));
  ASSERT_TRUE(a->enable_modseqs());
  ASSERT_TRUE(a->refresh());
  const uint64_t before = a->modseq();
  const uint32_t validity = a->uidvalidity();
  stdfs::remove(t / "acct/dovecot-uidlist");  // the index is lost: a new UIDVALIDITY
  auto b = open_ok(store, "INBOX");
  ASSERT_TRUE(b->enable_modseqs());
  ASSERT_TRUE(b->refresh());
  EXPECT_NE(b->uidvalidity(), validity);
  EXPECT_GT(b->modseq(), before);
  EXPECT_GT(b->messages().at(0).modseq, before);
}
