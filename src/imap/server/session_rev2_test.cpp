// IMAP session tests of IMAP4rev2 (RFC 9051) turned on by ENABLE IMAP4rev2
// (6.3.1): SEARCH answered by ESEARCH only, no RECENT in SELECT, STATUS or
// SEARCH, SELECT's LIST response and OK [CLOSED], UTF-8 mailbox names,
// \NonExistent parents in LIST; each checked against the same commands of
// a session that did not enable it (IMAP4rev1, unchanged). DELETE of a
// parent that is no folder: NO [HASCHILDREN] in both; SEARCHRES (SAVE and
// "$", RFC 5182) in both.
#include <gtest/gtest.h>

#include "imap/server/session_harness.h"

namespace tern::imap {
namespace {

using testing::FakeHost;
using testing::kLogin;
using testing::script;
using testing::has;
using testing::tagged;

const std::string kEnable = "e ENABLE IMAP4rev2";

struct Rev2Box : FakeHost {
  Rev2Box() {
    deliver("Subject: one\n\n1\n");
    deliver("Subject: two\n\n2\n", "INBOX", "alice@virt.test", store::kFlagSeen);
  }
};


// What one session wrote: login, ENABLE IMAP4rev2 if rev2, the lines, LOGOUT.
std::string session(FakeHost& h, bool rev2, const std::vector<std::string>& lines) {
  std::deque<io::Segment> in{""};
  std::vector<std::string> all{kLogin};
  if (rev2) all.push_back(kEnable);
  all.insert(all.end(), lines.begin(), lines.end());
  for (const auto& l : all) {
    in.push_back(l + "\r\n");
    in.push_back("");
  }
  in.push_back("z LOGOUT\r\n");
  return testing::run(h, std::move(in)).written;
}

TEST(ImapRev2, AdvertisedAndEnabledOnce) {
  FakeHost h;
  auto t = testing::run(h, script({"a CAPABILITY", kLogin, "b ENABLE imap4rev2", "c ENABLE IMAP4rev2 UTF8=ACCEPT",
                                   "d ENABLE IMAP4rev3"}));
  const std::string& w = t.written;
  EXPECT_TRUE(has(w, "* CAPABILITY IMAP4rev1 IMAP4rev2 ")) << w;
  EXPECT_TRUE(has(w, "* ENABLED IMAP4rev2\r\nb OK ENABLE completed.\r\n")) << w;
  // Already on; and rev2 has UTF-8 names already (nothing more turned on).
  EXPECT_TRUE(has(w, "* ENABLED\r\nc OK ENABLE completed.\r\n")) << w;
  EXPECT_TRUE(has(w, "* ENABLED\r\nd OK ENABLE completed.\r\n")) << w;
}

TEST(ImapRev2, EnableNeedsLogin) {
  FakeHost h;
  auto t = testing::run(h, script({"a ENABLE IMAP4rev2"}));
  EXPECT_TRUE(tagged(t.written, "a").starts_with("a BAD")) << t.written;
}

TEST(ImapRev2, SearchAnswersEsearchOnlyAfterEnable) {
  Rev2Box h;
  const std::vector<std::string> cmds = {"s SELECT INBOX",       "a SEARCH ALL",          "b UID SEARCH ALL",
                                         "c SEARCH DELETED",     "d UID SEARCH DELETED",  "f SEARCH RETURN (COUNT) ALL",
                                         "g SORT (ARRIVAL) UTF-8 ALL", "h SEARCH UNSEEN"};
  const std::string rw1 = session(h, false, cmds), rw2 = session(h, true, cmds);
  const std::string& w1 = rw1;
  EXPECT_TRUE(has(w1, "* SEARCH 1 2\r\na OK")) << w1;
  EXPECT_TRUE(has(w1, "* SEARCH 1 2\r\nb OK")) << w1;
  EXPECT_TRUE(has(w1, "* SEARCH\r\nc OK")) << w1;
  EXPECT_FALSE(has(w1, "* ESEARCH (TAG \"a\")")) << w1;
  EXPECT_TRUE(has(w1, "* ESEARCH (TAG \"f\") COUNT 2\r\n")) << w1;

  const std::string& w2 = rw2;
  EXPECT_FALSE(has(w2, "* SEARCH")) << w2;
  EXPECT_TRUE(has(w2, "* ESEARCH (TAG \"a\") ALL 1:2\r\na OK")) << w2;
  EXPECT_TRUE(has(w2, "* ESEARCH (TAG \"b\") UID ALL 1:2\r\nb OK")) << w2;
  // No hits: the tag (and UID) alone (RFC 9051 7.3.4).
  EXPECT_TRUE(has(w2, "* ESEARCH (TAG \"c\")\r\nc OK")) << w2;
  EXPECT_TRUE(has(w2, "* ESEARCH (TAG \"d\") UID\r\nd OK")) << w2;
  EXPECT_TRUE(has(w2, "* ESEARCH (TAG \"f\") COUNT 2\r\nf OK")) << w2;
  EXPECT_TRUE(has(w2, "* ESEARCH (TAG \"h\") ALL 1\r\nh OK")) << w2;
  // SORT is an extension and keeps its own response.
  EXPECT_TRUE(has(w2, "* SORT 1 2\r\ng OK")) << w2;
}

TEST(ImapRev2, RecentGoneAfterEnable) {
  Rev2Box h;
  const char* keys[] = {"RECENT", "NEW", "OLD", "NOT RECENT", "OR SEEN NEW"};
  std::vector<std::string> lines{"s SELECT INBOX"};
  for (size_t i = 0; i < 5; ++i) lines.push_back("r" + std::to_string(i) + " SEARCH " + keys[i]);
  lines.push_back("t STATUS INBOX (MESSAGES RECENT)");
  lines.push_back("u LIST \"\" INBOX RETURN (STATUS (RECENT))");
  lines.push_back("v SORT (ARRIVAL) UTF-8 RECENT");
  const std::string w1 = session(h, false, lines), w2 = session(h, true, lines);
  EXPECT_TRUE(has(w1, "* 0 RECENT\r\n")) << w1;
  EXPECT_TRUE(has(w1, "* OK [UNSEEN 1]")) << w1;
  EXPECT_FALSE(has(w2, "RECENT\r\n")) << w2;
  EXPECT_FALSE(has(w2, "[UNSEEN")) << w2;
  for (size_t i = 0; i < 5; ++i) {
    std::string tag = "r" + std::to_string(i);
    EXPECT_TRUE(tagged(w1, tag).starts_with(tag + " OK")) << w1;
    EXPECT_TRUE(tagged(w2, tag).starts_with(tag + " BAD")) << w2;
  }
  EXPECT_TRUE(has(w1, "* STATUS INBOX (MESSAGES 2 RECENT 0)\r\nt OK")) << w1;
  EXPECT_TRUE(tagged(w2, "t").starts_with("t BAD")) << w2;
  EXPECT_FALSE(has(w2, "* STATUS INBOX")) << w2;
  EXPECT_TRUE(tagged(w1, "u").starts_with("u OK")) << w1;
  EXPECT_TRUE(tagged(w2, "u").starts_with("u BAD")) << w2;
  EXPECT_TRUE(tagged(w1, "v").starts_with("v OK")) << w1;
  EXPECT_TRUE(tagged(w2, "v").starts_with("v BAD")) << w2;
  // A session that enabled it changed nothing for the next one that does not.
  EXPECT_TRUE(has(session(h, false, lines), "* 0 RECENT\r\n"));
}

TEST(ImapRev2, SelectSendsListAndClosed) {
  Rev2Box h;
  ASSERT_TRUE(h.store_of().create("Sent"));
  ASSERT_TRUE(h.store_of().create("Work.Projects"));
  const std::vector<std::string> sel = {"a SELECT INBOX", "b EXAMINE Sent",         "c SELECT Nowhere",
                                        "d SELECT Work",   "f SELECT Work.Projects", "g SELECT INBOX"};
  const std::string w1 = session(h, false, sel), w2 = session(h, true, sel);
  EXPECT_FALSE(has(w1, "[CLOSED]")) << w1;
  EXPECT_FALSE(has(w1, "* LIST")) << w1;
  EXPECT_TRUE(has(w2, "* LIST (\\HasNoChildren) \".\" INBOX\r\n")) << w2;
  EXPECT_TRUE(has(w2, "* LIST (\\HasNoChildren \\Sent) \".\" Sent\r\n")) << w2;
  EXPECT_TRUE(has(w2, "* LIST (\\HasNoChildren) \".\" Work.Projects\r\n")) << w2;
  // INBOX was selected when Sent was examined; Sent when Nowhere failed;
  // nothing when Work (no folder) failed; Work.Projects before INBOX.
  EXPECT_TRUE(has(w2, "a OK [READ-WRITE] Select completed.\r\n* OK [CLOSED] Previous mailbox closed.\r\n")) << w2;
  EXPECT_TRUE(has(w2, "b OK [READ-ONLY] Examine completed.\r\n* OK [CLOSED] Previous mailbox closed.\r\nc NO")) << w2;
  EXPECT_TRUE(has(w2, "c NO [NONEXISTENT] Mailbox does not exist.\r\nd NO")) << w2;
  EXPECT_TRUE(has(w2, "f OK [READ-WRITE] Select completed.\r\n* OK [CLOSED]")) << w2;
  size_t closed = 0;
  for (size_t at = w2.find("[CLOSED]"); at != std::string::npos; at = w2.find("[CLOSED]", at + 1)) ++closed;
  EXPECT_EQ(closed, 3u) << w2;
}

TEST(ImapRev2, Utf8NamesAfterEnable) {
  FakeHost h;
  const std::string name = "Entw\xc3\xbcrfe";
  auto t1 = testing::run(h, script({kLogin, "a CREATE \"" + name + "\""}));
  EXPECT_EQ(tagged(t1.written, "a"), "a NO [CANNOT] Invalid mailbox name.");
  auto t2 = testing::run(h, script({kLogin, kEnable, "a CREATE \"" + name + "\"", "b LIST \"\" \"Entw*\"",
                                    "c SELECT \"" + name + "\"", "d STATUS \"" + name + "\" (MESSAGES)",
                                    "f CREATE \"\xff\""}));
  const std::string& w = t2.written;
  EXPECT_EQ(tagged(w, "a"), "a OK Create completed.");
  EXPECT_TRUE(has(w, "* LIST (\\HasNoChildren) \".\" \"" + name + "\"\r\nb OK")) << w;
  EXPECT_TRUE(has(w, "* LIST (\\HasNoChildren) \".\" \"" + name + "\"\r\n* OK [PERMANENTFLAGS")) << w;
  EXPECT_TRUE(has(w, "* STATUS \"" + name + "\" (MESSAGES 0)")) << w;
  EXPECT_TRUE(tagged(w, "f").starts_with("f BAD")) << w;  // not UTF-8
  EXPECT_FALSE(has(w, "&AP")) << w;
  // Stored as Dovecot spells it; a rev1 session sees modified UTF-7.
  EXPECT_TRUE(h.store_of().open("Entw&APw-rfe"));
  auto t3 = testing::run(h, script({kLogin, "a LIST \"\" \"Entw*\""}));
  EXPECT_TRUE(has(t3.written, "* LIST (\\HasNoChildren) \".\" Entw&APw-rfe\r\n")) << t3.written;
}

TEST(ImapRev2, ListNonExistentParentsAndLsub) {
  FakeHost h;
  ASSERT_TRUE(h.store_of().create("Work.Projects"));
  const std::vector<std::string> cmds = {"a SUBSCRIBE Gone", "b SUBSCRIBE Work.Projects", "c LIST \"\" *",
                                         "d LIST (SUBSCRIBED) \"\" *", "f LSUB \"\" *",
                                         "g LIST \"\" % RETURN (SUBSCRIBED)"};
  const std::string w1 = session(h, false, cmds), w2 = session(h, true, cmds);
  EXPECT_TRUE(has(w1, "* LIST (\\Noselect \\HasChildren) \".\" Work\r\n")) << w1;
  EXPECT_FALSE(has(w1, "* LIST (\\NonExistent \\HasChildren)")) << w1;
  EXPECT_TRUE(has(w2, "* LIST (\\NonExistent \\HasChildren) \".\" Work\r\n")) << w2;
  EXPECT_FALSE(has(w2, "\\Noselect")) << w2;
  for (const std::string* w : {&w1, &w2}) {
    EXPECT_TRUE(has(*w, "* LIST (\\HasNoChildren) \".\" Work.Projects\r\n")) << *w;
    EXPECT_TRUE(has(*w, "* LIST (\\NonExistent \\Subscribed) \".\" Gone\r\n")) << *w;
    EXPECT_TRUE(has(*w, "* LIST (\\HasNoChildren \\Subscribed) \".\" Work.Projects\r\n")) << *w;
    EXPECT_TRUE(has(*w, "* LSUB () \".\" Gone\r\n")) << *w;
    EXPECT_TRUE(has(*w, "* LSUB () \".\" Work.Projects\r\nf OK Lsub completed.")) << *w;
    EXPECT_TRUE(has(*w, "* LIST (\\HasNoChildren) \".\" INBOX\r\n")) << *w;
  }
  EXPECT_TRUE(has(w2, "* LIST (\\NonExistent \\HasChildren) \".\" Work\r\ng OK")) << w2;
}

TEST(ImapRev2, DeleteOfAParentWithChildren) {
  FakeHost h;
  ASSERT_TRUE(h.store_of().create("A.B"));
  ASSERT_TRUE(h.store_of().create("C"));
  ASSERT_TRUE(h.store_of().create("C.D"));
  for (bool enable : {false, true}) {
    const std::string w = session(h, enable, {"a DELETE A", "b DELETE Nothing"});
    EXPECT_EQ(tagged(w, "a"), "a NO [HASCHILDREN] Mailbox has inferior names; delete them first.") << w;
    EXPECT_EQ(tagged(w, "b"), "b NO [NONEXISTENT] Mailbox does not exist.") << w;
  }
  EXPECT_TRUE(h.store_of().open("A.B"));
  // A folder with children may go (RFC 9051 6.3.5); its name stays as a parent.
  auto t = testing::run(h, script({kLogin, kEnable, "a DELETE C", "b LIST \"\" C*", "c DELETE C"}));
  EXPECT_EQ(tagged(t.written, "a"), "a OK Delete completed.");
  EXPECT_TRUE(has(t.written, "* LIST (\\NonExistent \\HasChildren) \".\" C\r\n")) << t.written;
  EXPECT_TRUE(tagged(t.written, "c").starts_with("c NO [HASCHILDREN]")) << t.written;
  EXPECT_TRUE(h.store_of().open("C.D"));
  EXPECT_FALSE(h.store_of().open("C"));
}

// SEARCHRES (RFC 5182, part of RFC 9051): SAVE keeps the UIDs for "$" in
// FETCH, STORE, COPY, SEARCH and UID EXPUNGE, by UID or by sequence number;
// empty before any SAVE and after SELECT; MIN/MAX save only those.
TEST(ImapRev2, SearchResSavesForDollar) {
  Rev2Box h;
  h.deliver("Subject: three\n\n3\n");
  ASSERT_TRUE(h.store_of().create("Kept"));
  for (bool rev2 : {false, true}) {
    const std::string w = session(
        h, rev2,
        {"s SELECT INBOX", "a FETCH $ (UID)", "b SEARCH RETURN (SAVE) UNSEEN", "c FETCH $ (UID)", "d UID SEARCH $",
         "f SEARCH RETURN (SAVE MIN MAX) ALL", "g FETCH $ (UID)", "h UID COPY $ Kept", "i SORT RETURN (SAVE) (ARRIVAL) UTF-8 ALL",
         "j SELECT INBOX", "k FETCH $ (UID)"});
    EXPECT_EQ(tagged(w, "a"), "a OK Fetch completed.") << w;
    EXPECT_TRUE(has(w, "s OK [READ-WRITE] Select completed.\r\na OK")) << w;
    // SAVE alone: nothing untagged.
    EXPECT_TRUE(has(w, "a OK Fetch completed.\r\nb OK Search completed.\r\n")) << w;
    EXPECT_TRUE(has(w, "* 1 FETCH (UID 1)\r\n* 3 FETCH (UID 3)\r\nc OK")) << w;
    EXPECT_TRUE(has(w, rev2 ? "* ESEARCH (TAG \"d\") UID ALL 1,3\r\nd OK" : "* SEARCH 1 3\r\nd OK")) << w;
    EXPECT_TRUE(has(w, "* ESEARCH (TAG \"f\") MIN 1 MAX 3\r\nf OK")) << w;
    EXPECT_TRUE(has(w, "* 1 FETCH (UID 1)\r\n* 3 FETCH (UID 3)\r\ng OK")) << w;
    EXPECT_TRUE(tagged(w, "h").starts_with("h OK [COPYUID")) << w;
    EXPECT_TRUE(tagged(w, "i").starts_with("i BAD")) << w;
    EXPECT_TRUE(has(w, "j OK [READ-WRITE] Select completed.\r\nk OK")) << w;  // "$" empty again
  }
  auto kept = h.store_of().open("Kept");
  ASSERT_TRUE(kept);
  EXPECT_EQ((*kept)->messages().size(), 4u);
}

TEST(ImapRev2, SearchResStoreAndExpungeByDollar) {
  Rev2Box h;
  const std::string w = session(h, true,
                                {"s SELECT INBOX", "a UID SEARCH RETURN (SAVE) SEEN", "b STORE $ +FLAGS (\\Deleted)",
                                 "c UID EXPUNGE $", "d SEARCH ALL", "f SEARCH RETURN (SAVE) RECENT", "g FETCH $ (UID)",
                                 "h UID EXPUNGE $"});
  EXPECT_TRUE(has(w, "\\Deleted))\r\nb OK")) << w;
  EXPECT_TRUE(has(w, "* 2 EXPUNGE\r\nc OK")) << w;
  EXPECT_TRUE(has(w, "* ESEARCH (TAG \"d\") ALL 1\r\nd OK")) << w;
  // A SAVE that failed leaves "$" empty (RFC 5182 2.1).
  EXPECT_TRUE(tagged(w, "f").starts_with("f BAD")) << w;
  EXPECT_TRUE(has(w, "f BAD RECENT, NEW and OLD are not IMAP4rev2 search keys.\r\ng OK")) << w;
  EXPECT_EQ(tagged(w, "h"), "h OK Expunge completed.") << w;
  auto box = h.store_of().open("INBOX");
  ASSERT_TRUE(box);
  EXPECT_EQ((*box)->messages().size(), 1u);
}

}  // namespace
}  // namespace tern::imap
