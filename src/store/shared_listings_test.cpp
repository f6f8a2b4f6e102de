// Tests for listings shared between the mailboxes of one process that have
// a folder open (shared_listings.h): a mailbox whose stamp of the folder is
// that of another's listing takes it instead of listing the folder, with the
// messages, flags and UIDs that listing saw; any change after it, or a
// mailbox keeping mod-sequences, means a listing of its own. The proof that
// a listing was taken, not made, is a change hidden by setting new/'s mtime
// back (which no real writer does): a mailbox that listed would see it.
#include "store/shared_listings.h"

#include <gtest/gtest.h>

#include "store/change_hub.h"
#include "store/maildir_store.h"
#include "store/store_test_util.h"

using namespace tern::store;
using test_util::drop_into_new;
using test_util::fine_stamps_at;
using test_util::open_ok;
using test_util::set_mtime;
using test_util::stamp_folder_at;
using test_util::TempDir;
using test_util::uids;

namespace {

std::shared_ptr<const FolderListing> listing_of(const FolderStamp& stamp, uint32_t uidvalidity) {
  auto l = std::make_shared<FolderListing>();
  l->stamp = stamp;
  l->uidvalidity = uidvalidity;
  return l;
}

// Three mailboxes of one account's INBOX, in this process.
struct OneInbox {
  TempDir t;
  MaildirStore store{t / "acct"};
  std::string dir = t / "acct";
  std::unique_ptr<Mailbox> a = open_ok(store, "INBOX"), b = open_ok(store, "INBOX"), c = open_ok(store, "INBOX");
};

// Three mailboxes of an INBOX that holds one message, all looked at once the
// folder settled and let go of their handles (as IDLE sessions do: the next
// look is by path), with the folder watched in the process's change hub (a
// telling moves the generation only for a watched folder). Tells of the
// changes it reads with told(). Skips where stamps are coarse, since
// mailboxes there open the folder before they trust a stamp.
struct WatchedInbox {
  void SetUp() {
    ASSERT_TRUE(a && b && c);
    if (!fine_stamps_at(dir)) GTEST_SKIP() << "no nanosecond stamps here";
    ASSERT_TRUE(a->append("Subject: one\n\n1\n", 0, 0));
    stamp_folder_at(dir, old);
    for (auto* m : {&a, &b, &c}) {
      ASSERT_TRUE((*m)->refresh());
      (*m)->release_handles();
    }
  }
  // A change told: the hub's generation it was told at.
  uint64_t told() {
    hub.changed(dir);
    return hub.generation();
  }
  TempDir t;
  MaildirStore store{t / "acct"};
  std::string dir = t / "acct";
  std::unique_ptr<Mailbox> a = open_ok(store, "INBOX"), b = open_ok(store, "INBOX"), c = open_ok(store, "INBOX");
  ChangeHub& hub = ChangeHub::process();
  std::unique_ptr<ChangeHub::Watch> watching = hub.watch(dir, [] {});
  const time_t old = ::time(nullptr) - 100;
};

struct SharedLook : ::testing::Test, WatchedInbox {
  void SetUp() override { WatchedInbox::SetUp(); }
};

}  // namespace

TEST(SharedListings, KeptWhileTwoMembersShareAFolder) {
  auto& listings = SharedListings::process();
  auto a = listings.join("/shared-listings-test/one");
  EXPECT_FALSE(a->shared());
  FolderStamp s{1, 2, {3, 4, 5}};
  a->publish(listing_of(s, 1));
  EXPECT_EQ(a->find(s), nullptr) << "nobody to share it with: not kept";
  auto b = listings.join("/shared-listings-test/one");
  auto other = listings.join("/shared-listings-test/two");
  EXPECT_TRUE(a->shared());
  EXPECT_FALSE(other->shared());
  b->publish(listing_of(s, 7));
  ASSERT_NE(a->find(s), nullptr);
  EXPECT_EQ(a->find(s)->uidvalidity, 7u);
  EXPECT_EQ(other->find(s), nullptr) << "another folder's";
  FolderStamp moved = s;
  moved.new_ns = 9;
  EXPECT_EQ(a->find(moved), nullptr) << "a listing is of one stamp exactly";
  b.reset();
  EXPECT_FALSE(a->shared());
  EXPECT_EQ(a->find(s), nullptr) << "dropped with the last but one member";
}

// Three mailboxes of one INBOX: a delivery is numbered by the first to
// look; once the folder settles, the second lists it and publishes; the
// third takes that listing (it does not see the message hidden meanwhile),
// then sees the hidden one by listing once the folder's stamp moves.
TEST(SharedListings, AMailboxTakesAnotherOnesListingOfTheFolderAsItIs) {
  OneInbox box;
  auto &a = box.a, &b = box.b, &c = box.c;
  const std::string& dir = box.dir;
  ASSERT_TRUE(a && b && c);
  // Elsewhere a mailbox opens the folder before it trusts a stamp, and lists it.
  if (!fine_stamps_at(dir)) GTEST_SKIP() << "no nanosecond stamps here";
  ASSERT_TRUE(a->append("Subject: one\n\n1\n", kFlagSeen, 0));
  const time_t old = ::time(nullptr) - 100;
  stamp_folder_at(dir, old);
  ASSERT_TRUE(b->refresh());  // lists the settled folder and publishes
  drop_into_new(dir, "2.M2P2Q2.hidden");
  set_mtime(dir + "/new", old);
  auto seen = c->refresh();
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->appeared, uids(*b)) << "b's listing, without the hidden message";
  ASSERT_EQ(c->messages().size(), 1u);
  EXPECT_EQ(c->messages()[0].flags, kFlagSeen);
  EXPECT_EQ(c->uidvalidity(), b->uidvalidity());
  EXPECT_EQ(c->uidnext(), b->uidnext());
  auto again = c->refresh();
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty()) << "the listing taken counts as this mailbox's last look";
  set_mtime(dir + "/new", old + 1);
  auto listed = c->refresh();
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->appeared.size(), 1u) << "the stamp moved: c lists the folder itself";
  EXPECT_EQ(c->messages().size(), 2u);
}

// A flag change and an expunge by one mailbox reach another through the
// listing of a third, as they would through its own listing.
TEST(SharedListings, FlagChangesAndExpungesComeWithTheListing) {
  OneInbox box;
  auto &a = box.a, &b = box.b, &c = box.c;
  const std::string& dir = box.dir;
  ASSERT_TRUE(a && b && c);
  // Elsewhere a mailbox opens the folder before it trusts a stamp, and lists it.
  if (!fine_stamps_at(dir)) GTEST_SKIP() << "no nanosecond stamps here";
  auto u1 = a->append("Subject: one\n\n1\n", 0, 0);
  auto u2 = a->append("Subject: two\n\n2\n", 0, 0);
  ASSERT_TRUE(u1 && u2);
  const time_t old = ::time(nullptr) - 100;
  stamp_folder_at(dir, old);
  ASSERT_TRUE(b->refresh());
  ASSERT_TRUE(c->refresh());
  ASSERT_EQ(uids(*c), (std::vector<uint32_t>{*u1, *u2}));
  ASSERT_TRUE(a->refresh());
  ASSERT_TRUE(a->set_flags(*u1, kFlagFlagged, 0));
  ASSERT_TRUE(a->expunge_all({*u2}));
  stamp_folder_at(dir, old + 1);
  ASSERT_TRUE(b->refresh());  // publishes
  drop_into_new(dir, "3.M3P3Q3.hidden");
  set_mtime(dir + "/new", old + 1);
  auto seen = c->refresh();
  ASSERT_TRUE(seen);
  EXPECT_TRUE(seen->appeared.empty()) << "taken, not listed: the hidden message is not seen";
  EXPECT_EQ(seen->vanished, std::vector<uint32_t>{*u2});
  EXPECT_EQ(seen->flags_changed, std::vector<uint32_t>{*u1});
  ASSERT_EQ(c->messages().size(), 1u);
  EXPECT_EQ(c->messages()[0].flags, kFlagFlagged);
  EXPECT_EQ(c->messages()[0].path, b->messages()[0].path);
}

// A mailbox keeping mod-sequences lists the folder itself (its scan records
// them under their lock) and publishes nothing another could take.
TEST(SharedListings, MailboxesKeepingModseqsNeitherTakeNorGive) {
  TempDir t;
  MaildirStore store(t / "acct");
  const std::string dir = t / "acct";
  auto a = open_ok(store, "INBOX");
  auto b = open_ok(store, "INBOX");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->append("Subject: one\n\n1\n", 0, 0));
  ASSERT_TRUE(b->enable_modseqs());
  const time_t old = ::time(nullptr) - 100;
  stamp_folder_at(dir, old);
  ASSERT_TRUE(a->refresh());  // publishes (b shares the folder)
  drop_into_new(dir, "2.M2P2Q2.hidden");
  set_mtime(dir + "/new", old);
  auto seen = b->refresh();
  ASSERT_TRUE(seen);
  EXPECT_EQ(b->messages().size(), 2u) << "b listed the folder: it sees the hidden message";
  ASSERT_TRUE(b->messages().back().modseq != 0);
  stamp_folder_at(dir, old + 1);
  ASSERT_TRUE(b->refresh());  // lists, and publishes nothing
  drop_into_new(dir, "3.M3P3Q3.hidden");
  set_mtime(dir + "/new", old + 1);
  ASSERT_TRUE(a->refresh());
  EXPECT_EQ(a->messages().size(), 3u) << "a listed the folder: nothing of b's was there to take";
}

// A keyword given a letter since a listing (dovecot-keywords rewritten,
// no message renamed, so the folder's stamp unmoved) means a listing of
// one's own: the listing's names of the letters are out of date.
TEST(SharedListings, NotTakenOnceTheKeywordsChanged) {
  OneInbox box;
  auto &a = box.a, &b = box.b, &c = box.c;
  const std::string& dir = box.dir;
  ASSERT_TRUE(a && b && c);
  if (!fine_stamps_at(dir)) GTEST_SKIP() << "no nanosecond stamps here";
  ASSERT_TRUE(a->append("Subject: one\n\n1\n", 0, 0));
  const time_t old = ::time(nullptr) - 100;
  stamp_folder_at(dir, old);
  ASSERT_TRUE(b->refresh());  // publishes
  std::ofstream(dir + "/dovecot-keywords") << "0 Foo\n";
  drop_into_new(dir, "2.M2P2Q2.hidden");
  set_mtime(dir + "/new", old);
  ASSERT_TRUE(c->refresh());
  EXPECT_EQ(c->messages().size(), 2u) << "c listed the folder: it sees the hidden message";
  EXPECT_EQ(c->keywords(), std::vector<std::string>{"Foo"});
}

// Told of one change, the mailboxes of a process share one look at the
// folder taken since (PathStamp): the proof that a's look was taken, not
// made, is a message dropped after it, which b, told of the earlier change,
// does not see; told of a later change (or asked by a client), b looks
// itself and sees it.
TEST_F(SharedLook, MailboxesToldOfOneChangeShareOneLookAtTheFolder) {
  const uint64_t first = told();
  auto a_saw = a->refresh_after(first);  // looks, and leaves its look for the others
  ASSERT_TRUE(a_saw);
  EXPECT_TRUE(a_saw->empty());
  drop_into_new(dir, "2.M2P2Q2.after");
  auto b_saw = b->refresh_after(first);
  ASSERT_TRUE(b_saw);
  EXPECT_TRUE(b_saw->empty()) << "a's look, from before the drop, served b";
  auto later = b->refresh_after(told());
  ASSERT_TRUE(later);
  EXPECT_EQ(later->appeared.size(), 1u) << "told of a later change, b looks itself";
  drop_into_new(dir, "3.M3P3Q3.after");
  auto asked = a->refresh();
  ASSERT_TRUE(asked);
  EXPECT_EQ(asked->appeared.size(), 2u) << "a refresh no push asked for always looks anew";
}

// The first to list after a delivery moves it from new/ into cur/, so a look
// taken before that matches no listing; the next to list leaves its own,
// newer look, and with it the listing it publishes serves the rest. The
// proof is a message hidden after that listing (new/'s mtime set back),
// which c does not see: it took b's listing instead of listing the folder.
TEST_F(SharedLook, TheNewestLookIsSharedSoTheRestTakeTheListingMadeWithIt) {
  drop_into_new(dir, "2.M2P2Q2.delivered");  // a delivery, just now: not settled
  const uint64_t delivered = told();
  auto first = a->refresh_after(delivered);  // lists, moves the delivery into cur/
  ASSERT_TRUE(first);
  ASSERT_EQ(first->appeared.size(), 1u);
  stamp_folder_at(dir, old + 2);  // settled since
  auto second = b->refresh_after(delivered);  // a's look is stale: b lists, publishes, leaves its look
  ASSERT_TRUE(second);
  ASSERT_EQ(second->appeared.size(), 1u);
  drop_into_new(dir, "3.M3P3Q3.hidden");
  set_mtime(dir + "/new", old + 2);
  auto rest = c->refresh_after(delivered);
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->appeared.size(), 1u) << "b's listing, without the hidden message";
  EXPECT_EQ(uids(*c), uids(*b));
}

// Just after a delivery the folder's stamp is too fresh to prove anything
// alone, but a listing made after the change was told serves the others
// told of it (FolderListing::settled, generation): b takes a's, and does not
// see a message dropped after it; a refresh a client asked for, or one told
// of a later change, lists the folder and sees it.
TEST_F(SharedLook, AFreshListingServesTheMailboxesToldOfTheSameChange) {
  drop_into_new(dir, "2.M2P2Q2.delivered");  // just now: the stamps are not settled
  const uint64_t delivered = told();
  auto first = a->refresh_after(delivered);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->appeared.size(), 1u);
  drop_into_new(dir, "3.M3P3Q3.after");  // not told yet
  auto taken = b->refresh_after(delivered);
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->appeared.size(), 1u) << "a's listing: the delivery, not the message dropped after it";
  EXPECT_EQ(uids(*b), uids(*a));
  auto again = b->refresh_after(delivered);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty()) << "the same telling: served the same; the message dropped is told of later";
  auto asked = c->refresh();
  ASSERT_TRUE(asked);
  EXPECT_EQ(asked->appeared.size(), 2u) << "a refresh no push asked for lists the folder itself";
  auto later = a->refresh_after(told());
  ASSERT_TRUE(later);
  EXPECT_EQ(later->appeared.size(), 1u) << "told of a later change, a lists";
}
