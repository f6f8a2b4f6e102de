// IMAP session tests, authenticated state over a real MaildirStore: LIST
// and LSUB (wildcards, hierarchy, \Noselect parents, mUTF-7 names), CREATE,
// DELETE, RENAME, SUBSCRIBE (the file, seen by the next session), STATUS,
// APPEND (flags, date, APPENDUID, TRYCREATE before "+", LITERAL+), and
// names that try to leave the account.
#include <gtest/gtest.h>

#include <filesystem>

#include "imap/server/session_harness.h"

namespace tern::imap {
namespace {

using testing::FakeHost;
using testing::kLogin;
using testing::script;
using testing::tagged;

const std::string kMsg = "From: Ann <ann@example.org>\nTo: alice@virt.test\nSubject: hello there\n\nfirst line\nsecond\n";

TEST(ImapMailboxes, CreateListRenameDelete) {
  FakeHost h;
  auto t = testing::run(h, script({kLogin, "a CREATE Work.Projects", "b CREATE Archive", "c CREATE Archive",
                                   "d LIST \"\" *", "e LIST \"\" %", "f LIST Work. %", "g RENAME Archive Old",
                                   "h DELETE Work.Projects", "i DELETE INBOX", "j DELETE Nothing", "k LIST \"\" \"\"",
                                   "m LIST \"\" inbox", "n RENAME INBOX X", "o CREATE Old."}));
  const std::string& w = t.written;
  EXPECT_EQ(tagged(w, "a"), "a OK Create completed.");
  EXPECT_EQ(tagged(w, "c"), "c NO [ALREADYEXISTS] Mailbox already exists.");
  EXPECT_NE(w.find("* LIST (\\HasNoChildren) \".\" INBOX\r\n"
                   "* LIST (\\HasNoChildren \\Archive) \".\" Archive\r\n"
                   "* LIST (\\Noselect \\HasChildren) \".\" Work\r\n"
                   "* LIST (\\HasNoChildren) \".\" Work.Projects\r\n"
                   "d OK List completed.\r\n"),
            std::string::npos)
      << w;
  EXPECT_NE(w.find("* LIST (\\HasNoChildren) \".\" INBOX\r\n* LIST (\\HasNoChildren \\Archive) \".\" Archive\r\n"
                   "* LIST (\\Noselect \\HasChildren) \".\" Work\r\ne OK"),
            std::string::npos);
  EXPECT_NE(w.find("* LIST (\\HasNoChildren) \".\" Work.Projects\r\nf OK"), std::string::npos);
  EXPECT_EQ(tagged(w, "g"), "g OK Rename completed.");
  EXPECT_EQ(tagged(w, "h"), "h OK Delete completed.");
  EXPECT_EQ(tagged(w, "i"), "i NO [CANNOT] INBOX cannot be deleted.");
  EXPECT_EQ(tagged(w, "j"), "j NO [NONEXISTENT] Mailbox does not exist.");
  EXPECT_NE(w.find("* LIST (\\Noselect) \".\" \"\"\r\nk OK"), std::string::npos);
  EXPECT_NE(w.find("* LIST (\\HasNoChildren) \".\" INBOX\r\nm OK"), std::string::npos);
  EXPECT_EQ(tagged(w, "n"), "n NO [CANNOT] Renaming INBOX is not supported.");
  EXPECT_EQ(tagged(w, "o"), "o NO [ALREADYEXISTS] Mailbox already exists.");  // the trailing "." is dropped
  auto folders = h.store_of().list();
  ASSERT_TRUE(folders);
  EXPECT_EQ(*folders, (std::vector<std::string>{"INBOX", "Old"}));
}

TEST(ImapMailboxes, ModifiedUtf7Names) {
  FakeHost h;
  auto t = testing::run(h, script({kLogin, "a CREATE a&-b", "b CREATE Entw&APw-rfe", "c CREATE &AGE",
                                   "d CREATE &AGE-", "e CREATE &2D0-", "f LIST \"\" *"}));
  const std::string& w = t.written;
  EXPECT_EQ(tagged(w, "a"), "a OK Create completed.");
  EXPECT_EQ(tagged(w, "b"), "b OK Create completed.");
  EXPECT_EQ(tagged(w, "c"), "c NO [CANNOT] Invalid mailbox name.");  // unterminated
  EXPECT_EQ(tagged(w, "d"), "d NO [CANNOT] Invalid mailbox name.");  // not canonical ("a")
  EXPECT_EQ(tagged(w, "e"), "e NO [CANNOT] Invalid mailbox name.");  // a lone surrogate
  EXPECT_NE(w.find("* LIST (\\HasNoChildren) \".\" a&-b\r\n"), std::string::npos) << w;
  EXPECT_NE(w.find("* LIST (\\HasNoChildren) \".\" Entw&APw-rfe\r\n"), std::string::npos);
}

TEST(ImapMailboxes, NamesThatTryToLeaveTheAccount) {
  FakeHost h;
  std::string deep;
  for (int i = 0; i < 300; ++i) deep += (i ? "." : "") + std::string("x");
  auto t = testing::run(h, script({kLogin, "a CREATE \"../x\"", "b CREATE \"a/../../b\"", "c CREATE ..x",
                                   "d CREATE .hidden", "e CREATE " + deep, "f SELECT \"../bob@virt.test\"",
                                   "g RENAME INBOX \"../../evil\"", "h CREATE \"a\\\\b\"", "i STATUS \"..\" (MESSAGES)",
                                   "j APPEND \"../bob@virt.test\" {3+}", "abc", "k CREATE x..y"}));
  const std::string& w = t.written;
  for (std::string tag : {"a", "b", "c", "d", "e", "f", "k"})
    EXPECT_EQ(tagged(w, tag), tag + " NO [CANNOT] Invalid mailbox name.") << tag;
  EXPECT_TRUE(tagged(w, "g").starts_with("g NO ")) << w;
  EXPECT_TRUE(tagged(w, "i").starts_with("i NO ")) << w;
  EXPECT_EQ(tagged(w, "j"), "j NO Invalid mailbox name.");
  // Nothing was made next to alice's Maildir or above it.
  std::vector<std::string> top;
  for (const auto& e : std::filesystem::directory_iterator(h.dir.path())) top.push_back(e.path().filename());
  EXPECT_EQ(top, std::vector<std::string>{"mail"});
  std::vector<std::string> users;
  for (const auto& e : std::filesystem::directory_iterator(h.dir.path() + "/mail")) users.push_back(e.path().filename());
  EXPECT_EQ(users, std::vector<std::string>{"alice@virt.test"});
}

TEST(ImapMailboxes, SubscriptionsPersist) {
  FakeHost h;
  auto t = testing::run(h, script({kLogin, "a CREATE Lists.tern", "b SUBSCRIBE Lists.tern", "c SUBSCRIBE INBOX",
                                   "d SUBSCRIBE Lists.tern", "e LSUB \"\" *", "f UNSUBSCRIBE INBOX"}));
  EXPECT_NE(t.written.find("* LSUB () \".\" INBOX\r\n* LSUB () \".\" Lists.tern\r\ne OK"), std::string::npos)
      << t.written;
  EXPECT_EQ(store::test_util::slurp(h.accounts->maildir("alice@virt.test") + "/subscriptions"), "Lists.tern\n");
  auto t2 = testing::run(h, script({kLogin, "a LSUB \"\" %", "b LSUB \"\" Lists.%"}));
  EXPECT_NE(t2.written.find("a OK"), std::string::npos);
  EXPECT_EQ(t2.written.find("* LSUB () \".\" Lists.tern\r\na OK"), std::string::npos);  // % stops at "."
  EXPECT_NE(t2.written.find("* LSUB () \".\" Lists.tern\r\nb OK"), std::string::npos) << t2.written;
}

// LIST-EXTENDED (RFC 5258) with LIST-STATUS (RFC 5819) and the SPECIAL-USE
// selection (RFC 6154), NAMESPACE (RFC 2342), and what CAPABILITY says of them.
TEST(ImapMailboxes, ListExtendedStatusAndNamespace) {
  FakeHost h;
  h.deliver(kMsg);
  auto t = testing::run(
      h, script({kLogin, "s1 CREATE Lists.tern", "s2 CREATE Work.Projects", "s3 CREATE Sent", "s4 CREATE Work-Old",
                 "s5 SUBSCRIBE INBOX", "s6 SUBSCRIBE Work.Projects", "s7 SUBSCRIBE Gone",
                 "a LIST (SUBSCRIBED) \"\" *", "b LIST (SUBSCRIBED RECURSIVEMATCH) \"\" %",
                 "c LIST \"\" * RETURN (SUBSCRIBED STATUS (MESSAGES UIDNEXT))", "d LIST (SPECIAL-USE) \"\" *",
                 "e LIST \"\" (INBOX Lists.*)", "f NAMESPACE", "g LIST (BOGUS) \"\" *", "h CAPABILITY",
                 "i STATUS INBOX (APPENDLIMIT)", "j NAMESPACE x"}));
  const std::string& w = t.written;
  EXPECT_NE(w.find("* LIST (\\HasNoChildren \\Subscribed) \".\" INBOX\r\n"
                   "* LIST (\\NonExistent \\Subscribed) \".\" Gone\r\n"
                   "* LIST (\\HasNoChildren \\Subscribed) \".\" Work.Projects\r\na OK"),
            std::string::npos)
      << w;
  EXPECT_NE(w.find("* LIST (\\HasNoChildren \\Subscribed) \".\" INBOX\r\n"
                   "* LIST (\\NonExistent \\Subscribed) \".\" Gone\r\n"
                   "* LIST (\\Noselect \\HasChildren) \".\" Work (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\nb OK"),
            std::string::npos)
      << w;
  // Every folder; the subscribed ones say so; STATUS follows each selectable one.
  EXPECT_NE(w.find("* LIST (\\HasNoChildren \\Subscribed) \".\" INBOX\r\n* STATUS INBOX (MESSAGES 1 UIDNEXT 2)\r\n"
                   "* LIST (\\Noselect \\HasChildren) \".\" Lists\r\n"
                   "* LIST (\\HasNoChildren) \".\" Lists.tern\r\n* STATUS Lists.tern (MESSAGES 0 UIDNEXT 1)\r\n"
                   "* LIST (\\HasNoChildren \\Sent) \".\" Sent\r\n* STATUS Sent (MESSAGES 0 UIDNEXT 1)\r\n"
                   "* LIST (\\Noselect \\HasChildren) \".\" Work\r\n"
                   "* LIST (\\HasNoChildren) \".\" Work-Old\r\n* STATUS Work-Old (MESSAGES 0 UIDNEXT 1)\r\n"
                   "* LIST (\\HasNoChildren \\Subscribed) \".\" Work.Projects\r\n"
                   "* STATUS Work.Projects (MESSAGES 0 UIDNEXT 1)\r\nc OK"),
            std::string::npos)
      << w;
  EXPECT_NE(w.find("* LIST (\\HasNoChildren \\Sent) \".\" Sent\r\nd OK"), std::string::npos) << w;
  EXPECT_NE(w.find("* LIST (\\HasNoChildren) \".\" INBOX\r\n* LIST (\\HasNoChildren) \".\" Lists.tern\r\ne OK"),
            std::string::npos)
      << w;
  EXPECT_NE(w.find("* NAMESPACE ((\"\" \".\")) NIL NIL\r\nf OK"), std::string::npos) << w;
  EXPECT_EQ(tagged(w, "g"), "g BAD Unknown LIST selection option.");
  for (const char* cap : {" NAMESPACE", " LIST-EXTENDED", " LIST-STATUS", " ESEARCH", " STATUS=SIZE", " BINARY",
                          " APPENDLIMIT=100000"})
    EXPECT_NE(w.find(cap), std::string::npos) << cap;
  EXPECT_NE(w.find("* STATUS INBOX (APPENDLIMIT 100000)\r\ni OK"), std::string::npos) << w;
  EXPECT_TRUE(tagged(w, "j").starts_with("j BAD")) << w;
}

TEST(ImapMailboxes, StatusCountsMessages) {
  FakeHost h;
  h.deliver(kMsg);
  h.deliver(kMsg, "INBOX", "alice@virt.test", store::kFlagSeen);
  auto box = h.store_of().open("INBOX");
  ASSERT_TRUE(box);
  uint32_t validity = (*box)->uidvalidity();
  uint64_t size = 2 * (kMsg.size() + 6);  // six LFs each become CRLF
  auto t = testing::run(h, script({kLogin, "a STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN SIZE)",
                                   "b STATUS Nothing (MESSAGES)", "c STATUS INBOX (BOGUS)", "d STATUS INBOX"}));
  EXPECT_NE(t.written.find("* STATUS INBOX (MESSAGES 2 UIDNEXT 3 UIDVALIDITY " + std::to_string(validity) +
                           " UNSEEN 1 SIZE " + std::to_string(size) + ")\r\na OK Status completed.\r\n"),
            std::string::npos)
      << t.written;
  EXPECT_EQ(tagged(t.written, "b"), "b NO [NONEXISTENT] Mailbox does not exist.");
  EXPECT_EQ(tagged(t.written, "c"), "c BAD Unknown STATUS item.");
  EXPECT_TRUE(tagged(t.written, "d").starts_with("d BAD"));
}

TEST(ImapMailboxes, AppendStoresWithFlagsAndDate) {
  FakeHost h;
  std::string msg = "Subject: appended\r\n\r\nbody line\r\n";
  auto t = testing::run(h, script({kLogin, "a CREATE Sent",
                                   "b APPEND Sent (\\Seen $Label) \"17-Jul-1996 02:44:25 -0700\" {" +
                                       std::to_string(msg.size()) + "}",
                                   msg, "c APPEND nosuch {5+}", "hello", "d APPEND nosuch {5}", "e NOOP",
                                   "f APPEND Sent {0}", "", "g APPEND Sent (\\Recent) {1+}", "x",
                                   "h APPEND Sent \"31-Feb-2020 00:00:00 +0000\" {1+}", "x"}));
  const std::string& w = t.written;
  auto box = h.store_of().open("Sent");
  ASSERT_TRUE(box);
  std::string validity = std::to_string((*box)->uidvalidity());
  EXPECT_EQ(tagged(w, "b"), "b OK [APPENDUID " + validity + " 1] Append completed.") << w;
  EXPECT_EQ(tagged(w, "c"), "c NO [TRYCREATE] Mailbox does not exist.");
  EXPECT_EQ(tagged(w, "d"), "d NO [TRYCREATE] Mailbox does not exist.");
  EXPECT_EQ(tagged(w, "e"), "e OK NOOP completed.");
  EXPECT_EQ(tagged(w, "f"), "f OK [APPENDUID " + validity + " 2] Append completed.");
  EXPECT_TRUE(tagged(w, "g").starts_with("g BAD")) << w;
  EXPECT_TRUE(tagged(w, "h").starts_with("h BAD")) << w;
  // One "+" only: b's synchronising literal (d's was refused before it, f's is empty but still asked).
  size_t pluses = 0;
  for (size_t p = w.find("+ Ready"); p != std::string::npos; p = w.find("+ Ready", p + 1)) ++pluses;
  EXPECT_EQ(pluses, 2u);
  ASSERT_EQ((*box)->messages().size(), 2u);
  const auto& m = (*box)->messages()[0];
  EXPECT_EQ(m.flags, store::kFlagSeen);
  EXPECT_EQ(m.keywords, std::vector<std::string>{"$Label"});
  EXPECT_EQ(m.internal_date_s, 837596665);
  auto bytes = (*box)->read(m.uid);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, "Subject: appended\n\nbody line\n");  // stored with LF, as delivery stores
}

// MULTIAPPEND (RFC 3502): several messages in one APPEND, all stored or
// none; each literal goes to the folder's tmp/ as it arrives, and nothing
// of a failed APPEND stays there.
TEST(ImapMailboxes, MultiappendAllOrNone) {
  FakeHost h;
  const std::string m1 = "Subject: one\r\n\r\nfirst\r\n", m2 = "Subject: two\r\n\r\nsecond\rline\r\n";
  auto n = [](const std::string& m) { return std::to_string(m.size()); };
  auto t = testing::run(
      h, script({kLogin, "s CREATE Sent", "a APPEND INBOX (\\Seen) {" + n(m1) + "+}",
                 m1 + " (\\Flagged $Work) \"17-Jul-1996 02:44:25 -0700\" {" + n(m2) + "+}", m2,
                 "b APPEND Sent {" + n(m1) + "+}", m1 + " {200000}", "c APPEND Sent {" + n(m1) + "+}",
                 m1 + " (\\Recent) {" + n(m2) + "+}", m2, "d APPEND Sent (\\Seen) (\\Seen) {1+}", "x",
                 "e APPEND Sent {" + n(m1) + "+}", m1 + " \"17-Jul-1996 02:44:25 -0700\"", "f NOOP"}));
  const std::string& w = t.written;
  auto inbox = h.store_of().open("INBOX");
  auto sent = h.store_of().open("Sent");
  ASSERT_TRUE(inbox && sent);
  EXPECT_EQ(tagged(w, "a"), "a OK [APPENDUID " + std::to_string((*inbox)->uidvalidity()) + " 1:2] Append completed.")
      << w;
  ASSERT_EQ((*inbox)->messages().size(), 2u);
  const auto& first = (*inbox)->messages()[0];
  const auto& second = (*inbox)->messages()[1];
  EXPECT_EQ(first.flags, store::kFlagSeen);
  EXPECT_EQ(second.flags, store::kFlagFlagged);
  EXPECT_EQ(second.keywords, std::vector<std::string>{"$Work"});
  EXPECT_EQ(second.internal_date_s, 837596665);
  EXPECT_EQ(*(*inbox)->read(second.uid), "Subject: two\n\nsecond\rline\n");  // a bare CR stays
  EXPECT_EQ(second.vsize_bytes, m2.size());  // the ",W=" the draft wrote once it knew the size
  EXPECT_TRUE(tagged(w, "b").starts_with("b NO [TOOBIG]")) << w;
  EXPECT_TRUE(tagged(w, "c").starts_with("c BAD")) << w;
  EXPECT_TRUE(tagged(w, "d").starts_with("d BAD")) << w;   // two flag lists for one message
  EXPECT_TRUE(tagged(w, "e").starts_with("e BAD")) << w;   // a date after the last literal
  EXPECT_EQ(tagged(w, "f"), "f OK NOOP completed.");
  EXPECT_TRUE((*sent)->messages().empty());
  for (const char* tmp : {"tmp", ".Sent/tmp"})
    EXPECT_EQ(store::test_util::drafts_in(h.accounts->maildir("alice@virt.test") + "/" + tmp), std::vector<std::string>{}) << tmp;
}

// A folder holds at most 26 keywords (Dovecot's Maildir letters): an APPEND
// that would need a 27th stores nothing and says LIMIT; one with known
// keywords is stored with them.
TEST(ImapMailboxes, AppendBeyondTheKeywordLimit) {
  FakeHost h;
  h.deliver(kMsg);
  {
    auto box = h.store_of().open("INBOX");
    ASSERT_TRUE(box);
    std::vector<std::string> names;
    for (char c = 'a'; c <= 'z'; ++c) names.push_back(std::string("k") + c);
    ASSERT_TRUE((*box)->set_keywords((*box)->messages()[0].uid, names, {}));
  }
  auto t = testing::run(h, script({kLogin, "a APPEND INBOX (kz NewOne) {1+}", "x", "b APPEND INBOX (\\Seen KA) {1+}",
                                   "y"}));
  const std::string& w = t.written;
  EXPECT_EQ(tagged(w, "a"), "a NO [LIMIT] Too many keywords in this mailbox.") << w;
  EXPECT_TRUE(tagged(w, "b").starts_with("b OK [APPENDUID ")) << w;
  auto box = h.store_of().open("INBOX");
  ASSERT_TRUE(box);
  ASSERT_EQ((*box)->messages().size(), 2u);
  EXPECT_EQ((*box)->messages()[1].keywords, std::vector<std::string>{"ka"});
  EXPECT_EQ(*(*box)->read((*box)->messages()[1].uid), "y");
}

TEST(ImapMailboxes, TwoUsersNeverMeet) {
  FakeHost h;
  h.deliver(kMsg, "INBOX", "bob@virt.test");
  auto t = testing::run(h, script({kLogin, "a STATUS INBOX (MESSAGES)", "b LIST \"\" *"}));
  EXPECT_NE(t.written.find("* STATUS INBOX (MESSAGES 0)"), std::string::npos) << t.written;
  EXPECT_EQ(t.written.find("bob"), std::string::npos);
}

}  // namespace
}  // namespace tern::imap

namespace tern::imap {
namespace {

// QUOTA (RFC 9208) over Maildir++'s maildirsize: GETQUOTAROOT and GETQUOTA
// report STORAGE (KiB) and MESSAGE; APPEND and COPY past the limit are
// NO [OVERQUOTA] and store nothing; EXPUNGE gives room back; MOVE within the
// account is not refused; an account without a rule has no quota root.
TEST(ImapQuota, ReportsRefusesAndGivesRoomBack) {
  testing::FakeHost h;
  h.accounts->quota = store::QuotaRule{5120, 4};
  std::string body(1500, 'x');
  h.deliver("Subject: one\n\n" + body + "\n");
  h.deliver("Subject: two\n\n" + body + "\n");
  std::string big(4000, 'y');
  auto t = testing::run(h, testing::script({testing::kLogin, "x CREATE Trash", "a GETQUOTAROOT INBOX",
                                            "b GETQUOTA \"User quota\"", "c GETQUOTA other", "d APPEND INBOX {" + std::to_string(big.size()) + "}",
                                            big, "e SELECT INBOX", "f COPY 1:2 Trash", "g COPY 1 Trash",
                                            "h GETQUOTA \"User quota\"", "i STORE 1 +FLAGS (\\Deleted)",
                                            "j EXPUNGE", "k GETQUOTA \"User quota\"", "m MOVE 1 Trash",
                                            "n GETQUOTAROOT Nothing"}));
  const std::string& w = t.written;
  const size_t one = std::string("Subject: one\n\n" + body + "\n").size();
  EXPECT_NE(w.find("* QUOTAROOT \"INBOX\" \"User quota\"\r\n* QUOTA \"User quota\" (STORAGE " +
                   std::to_string(2 * one / 1024) + " 5 MESSAGE 2 4)\r\na OK"),
            std::string::npos)
      << w;
  EXPECT_EQ(tagged(w, "b"), "b OK Getquota completed.");
  EXPECT_EQ(tagged(w, "c"), "c NO [NONEXISTENT] No such quota root.");
  EXPECT_EQ(tagged(w, "d"), "d NO [OVERQUOTA] Quota exceeded (mailbox for user is full).") << w;
  EXPECT_EQ(tagged(w, "f"), "f NO [OVERQUOTA] Quota exceeded (mailbox for user is full).");
  EXPECT_TRUE(tagged(w, "g").starts_with("g OK")) << w;
  EXPECT_NE(w.find("* QUOTA \"User quota\" (STORAGE " + std::to_string(3 * one / 1024) + " 5 MESSAGE 3 4)\r\nh OK"),
            std::string::npos)
      << w;
  EXPECT_NE(w.find("* QUOTA \"User quota\" (STORAGE " + std::to_string(2 * one / 1024) + " 5 MESSAGE 2 4)\r\nk OK"),
            std::string::npos)
      << w;
  EXPECT_TRUE(tagged(w, "m").starts_with("m OK")) << w;
  EXPECT_EQ(tagged(w, "n"), "n NO [NONEXISTENT] Mailbox does not exist.");
  // Nothing of the refused APPEND stayed anywhere.
  auto s = h.store_of();
  auto inbox = s.open("INBOX");
  ASSERT_TRUE(inbox);
  EXPECT_EQ((*inbox)->messages().size(), 0u);  // one expunged, one moved
  // The maildirsize Dovecot would read agrees with the folders.
  auto used = store::quota_recalculate(h.accounts->maildir("alice@virt.test"), h.accounts->quota);
  ASSERT_TRUE(used);
  EXPECT_EQ(used->messages, 2);
}

TEST(ImapQuota, NoRuleNoRoot) {
  testing::FakeHost h;
  auto t = testing::run(h, testing::script({testing::kLogin, "a GETQUOTAROOT INBOX", "b GETQUOTA \"User quota\""}));
  EXPECT_NE(t.written.find("* QUOTAROOT \"INBOX\"\r\na OK"), std::string::npos) << t.written;
  EXPECT_EQ(tagged(t.written, "b"), "b NO [NONEXISTENT] No such quota root.");
}

}  // namespace
}  // namespace tern::imap

namespace tern::imap {
namespace {

// The connection drops inside an APPEND into the selected mailbox: the
// draft goes before the mailbox it writes into (a use after free, found by
// the session fuzzer, that ASan reports), and tmp/ is left empty.
TEST(ImapAppend, HangUpMidLiteralIntoTheSelectedMailbox) {
  testing::FakeHost h;
  h.deliver("Subject: one\n\nx\n");
  auto t = testing::run(h, {"", testing::kLogin + "\r\n", "", "a SELECT INBOX\r\n", "", "b APPEND INBOX {100}\r\n",
                            "", "only part of it"});
  EXPECT_NE(t.written.find("+ Ready for literal data"), std::string::npos) << t.written;
  auto tmp = std::filesystem::path(h.accounts->maildir("alice@virt.test")) / "tmp";
  EXPECT_EQ(store::test_util::drafts_in(tmp), std::vector<std::string>{});
}

}  // namespace
}  // namespace tern::imap

namespace tern::imap {
namespace {

// STATUS keeps the folders it opened between commands (status_boxes.h):
// what it says must still follow every change, including ones made through
// another mailbox object of the same session (APPEND, STORE in the selected
// folder, EXPUNGE), and a folder deleted, renamed, or deleted and made
// again under the same name.
TEST(ImapMailboxes, StatusFollowsChangesToTheFoldersItKeeps) {
  FakeHost h;
  auto t = testing::run(
      h, script({kLogin, "a CREATE Work", "b STATUS Work (MESSAGES UNSEEN UIDNEXT)", "c APPEND Work {3+}", "abc",
                 "d STATUS Work (MESSAGES UNSEEN UIDNEXT)", "e SELECT Work", "f STORE 1 +FLAGS (\\Seen)",
                 "g STATUS Work (MESSAGES UNSEEN)", "h APPEND Work {3+}", "def", "i STORE 2 +FLAGS (\\Deleted)",
                 "j EXPUNGE", "k STATUS Work (MESSAGES UNSEEN UIDNEXT)", "l UNSELECT", "m RENAME Work Old",
                 "n STATUS Work (MESSAGES)", "o STATUS Old (MESSAGES UIDNEXT)", "p CREATE Work",
                 "q STATUS Work (MESSAGES UIDNEXT)", "r DELETE Old", "s STATUS Old (MESSAGES)"}));
  const std::string& w = t.written;
  EXPECT_NE(w.find("* STATUS Work (MESSAGES 0 UNSEEN 0 UIDNEXT 1)\r\nb OK"), std::string::npos) << w;
  EXPECT_NE(w.find("* STATUS Work (MESSAGES 1 UNSEEN 1 UIDNEXT 2)\r\nd OK"), std::string::npos) << w;
  EXPECT_NE(w.find("* STATUS Work (MESSAGES 1 UNSEEN 0)\r\ng OK"), std::string::npos) << w;
  EXPECT_NE(w.find("* STATUS Work (MESSAGES 1 UNSEEN 0 UIDNEXT 3)\r\nk OK"), std::string::npos) << w;
  EXPECT_EQ(tagged(w, "n"), "n NO [NONEXISTENT] Mailbox does not exist.");
  EXPECT_NE(w.find("* STATUS Old (MESSAGES 1 UIDNEXT 3)\r\no OK"), std::string::npos) << w;
  EXPECT_NE(w.find("* STATUS Work (MESSAGES 0 UIDNEXT 1)\r\nq OK"), std::string::npos) << w;
  EXPECT_EQ(tagged(w, "s"), "s NO [NONEXISTENT] Mailbox does not exist.");
}

}  // namespace
}  // namespace tern::imap

namespace tern::imap {
namespace {

// STATUS of the selected folder is counted from the session's own view,
// brought up to date first: another session's expunge and append are told
// as EXPUNGE and EXISTS before the STATUS line, whose counts agree with
// them; the session's later commands see the same view.
TEST(ImapMailboxes, StatusOfTheSelectedFolderAgreesWithItsView) {
  FakeHost h;
  h.deliver(kMsg);
  h.deliver(kMsg, "INBOX", "alice@virt.test", store::kFlagSeen);
  std::deque<io::Segment> a{"", kLogin + "\r\n", "", "s SELECT INBOX\r\n", io::Segment::after(std::chrono::seconds(10)),
                            "a STATUS INBOX (MESSAGES UNSEEN UIDNEXT)\r\n", "", "b FETCH 1:* (UID FLAGS)\r\n", "",
                            "z LOGOUT\r\n"};
  std::deque<io::Segment> b{io::Segment::after(std::chrono::seconds(1)), kLogin + "\r\n", "", "s SELECT INBOX\r\n", "",
                            "a STORE 2 +FLAGS.SILENT (\\Deleted)\r\n", "", "b EXPUNGE\r\n", "",
                            "c APPEND INBOX {3+}\r\nnew\r\n", "", "d APPEND INBOX (\\Seen) {3+}\r\nold\r\n", "",
                            "z LOGOUT\r\n"};
  auto ts = testing::run_all(h, {testing::Client{a}, testing::Client{b}});
  ASSERT_NE(ts[1].written.find("d OK [APPENDUID"), std::string::npos) << ts[1].written;
  const std::string& w = ts[0].written;
  EXPECT_NE(w.find("* 2 EXPUNGE\r\n* 3 EXISTS\r\n* STATUS INBOX (MESSAGES 3 UNSEEN 2 UIDNEXT 5)\r\na OK"),
            std::string::npos)
      << w;
  EXPECT_NE(w.find("* 1 FETCH (UID 1 FLAGS ())\r\n* 2 FETCH (UID 3 FLAGS ())\r\n"
                   "* 3 FETCH (UID 4 FLAGS (\\Seen))\r\nb OK"),
            std::string::npos)
      << w;
}

}  // namespace
}  // namespace tern::imap
