// Deliveries racing an IMAP-style session on one mbox file: every
// delivered message ends up in the folder exactly once, with its own UID,
// while the session numbers, flags and expunges (nothing acknowledged is
// lost to a rewrite, whichever takes the locks first).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>

#include "store/mbox.h"
#include "store/mbox_mailbox.h"
#include "store/store_test_util.h"

namespace tern::store {
namespace {

using test_util::TempDir;

TEST(MboxConcurrency, DeliveriesDuringFlagChangesAndExpungesAreKept) {
  TempDir d;
  const std::string path = d / "u";
  constexpr int kDeliveries = 40;
  ASSERT_TRUE(mbox_deliver(path, "a@b", 0, "", "Subject: doomed\n\nx\n").ok());
  auto mb = MboxMailbox::open(path, "INBOX");
  ASSERT_TRUE(mb) << mb.error().detail;
  std::thread deliverer([&] {
    for (int i = 0; i < kDeliveries; ++i)
      EXPECT_TRUE(mbox_deliver(path, "a@b", 0, "", "Subject: m" + std::to_string(i) + "\n\nbody\n").ok());
  });
  bool expunged = false;
  for (int round = 0; round < 200; ++round) {
    auto ch = (*mb)->refresh();
    ASSERT_TRUE(ch) << ch.error().detail;
    for (uint32_t uid : ch->appeared) {
      auto f = (*mb)->set_flags(uid, kFlagSeen, 0);
      ASSERT_TRUE(f) << f.error().detail;
    }
    if (!expunged) {
      ASSERT_TRUE((*mb)->expunge(1).ok());
      expunged = true;
    }
    if ((*mb)->messages().size() == kDeliveries) break;
  }
  deliverer.join();
  ASSERT_TRUE((*mb)->refresh());
  auto again = MboxMailbox::open(path, "INBOX");
  ASSERT_TRUE(again) << again.error().detail;
  std::set<std::string> bodies;
  std::set<uint32_t> seen_uids;
  for (const MessageInfo& m : (*again)->messages()) {
    auto bytes = (*again)->read(m.uid);
    ASSERT_TRUE(bytes);
    bodies.insert(*bytes);
    seen_uids.insert(m.uid);
  }
  EXPECT_EQ(bodies.size(), static_cast<size_t>(kDeliveries));
  EXPECT_EQ(seen_uids.size(), static_cast<size_t>(kDeliveries));
  EXPECT_EQ(seen_uids.count(1), 0u);
  EXPECT_EQ(bodies.count("Subject: doomed\n\nx\n"), 0u);
  EXPECT_EQ((*again)->uidvalidity(), (*mb)->uidvalidity());
}

}  // namespace
}  // namespace tern::store
