// IMAP session tests of UTF8=ACCEPT (RFC 6855): ENABLE, mailbox names in
// UTF-8 both ways after it (stored in modified UTF-7, as Dovecot stores
// them), invalid UTF-8 refused with nothing created, the modified UTF-7
// form before it, and APPEND's "UTF8 (~{n})" form.
#include <gtest/gtest.h>

#include <set>

#include "imap/server/session_harness.h"

namespace tern::imap {
namespace {

using testing::FakeHost;
using testing::kLogin;
using testing::script;
using testing::tagged;

const std::string kEntwuerfe = "Entw\xc3\xbcrfe";  // "Entwürfe" in UTF-8
const std::string kStored = "Entw&APw-rfe";         // the same in modified UTF-7

TEST(ImapUtf8, EnableListsWhatItTurnedOn) {
  FakeHost h;
  auto t = testing::run(h, script({kLogin, "a ENABLE UTF8=ACCEPT", "b ENABLE utf8=accept X-UNKNOWN",
                                   "c ENABLE CONDSTORE", "d ENABLE CONDSTORE"}));
  EXPECT_NE(t.written.find("* ENABLED UTF8=ACCEPT\r\na OK ENABLE completed.\r\n"), std::string::npos) << t.written;
  // Already on, or unknown: not listed again (RFC 5161 3.2).
  EXPECT_NE(t.written.find("* ENABLED\r\nb OK ENABLE completed.\r\n"), std::string::npos) << t.written;
  EXPECT_NE(t.written.find("* ENABLED CONDSTORE\r\nc OK ENABLE completed.\r\n"), std::string::npos) << t.written;
  EXPECT_NE(t.written.find("* ENABLED\r\nd OK ENABLE completed.\r\n"), std::string::npos) << t.written;
}

TEST(ImapUtf8, NamesInUtf8AfterEnableStoredInModifiedUtf7) {
  FakeHost h;
  std::string msg = "Subject: x\r\n\r\nbody\r\n";
  auto t = testing::run(
      h, script({kLogin, "a CREATE " + kStored, "b ENABLE UTF8=ACCEPT", "c LIST \"\" \"Entw*\"",
                 "d CREATE \"Gr\xc3\xbc\xc3\x9f" "e.Tom & Jerry\"", "e LIST \"\" *",
                 "f STATUS \"" + kEntwuerfe + "\" (MESSAGES)",
                 "g APPEND \"" + kEntwuerfe + "\" {" + std::to_string(msg.size()) + "+}", msg,
                 "h SELECT \"" + kEntwuerfe + "\"", "i RENAME \"" + kEntwuerfe + "\" \"\xe6\x97\xa5\xe6\x9c\xac\"",
                 "j SUBSCRIBE \"\xe6\x97\xa5\xe6\x9c\xac\"", "k LSUB \"\" \"\xe6\x97\xa5*\"",
                 "m CREATE " + kStored, "n GETQUOTAROOT \"\xe6\x97\xa5\xe6\x9c\xac\""}));
  const std::string& w = t.written;
  EXPECT_EQ(tagged(w, "a"), "a OK Create completed.");
  // Names go out as UTF-8 quoted strings, and patterns match the UTF-8 form.
  EXPECT_NE(w.find("* LIST (\\HasNoChildren) \".\" \"" + kEntwuerfe + "\"\r\nc OK"), std::string::npos) << w;
  EXPECT_EQ(tagged(w, "d"), "d OK Create completed.");
  EXPECT_NE(w.find("* LIST (\\Noselect \\HasChildren) \".\" \"Gr\xc3\xbc\xc3\x9f" "e\"\r\n"), std::string::npos) << w;
  EXPECT_NE(w.find("* LIST (\\HasNoChildren) \".\" \"Gr\xc3\xbc\xc3\x9f" "e.Tom & Jerry\"\r\n"), std::string::npos)
      << w;
  EXPECT_EQ(w.find("&AP"), std::string::npos) << w;  // no modified UTF-7 after ENABLE
  EXPECT_NE(w.find("* STATUS \"" + kEntwuerfe + "\" (MESSAGES 0)\r\nf OK"), std::string::npos) << w;
  EXPECT_TRUE(tagged(w, "g").starts_with("g OK [APPENDUID")) << w;
  EXPECT_TRUE(tagged(w, "h").starts_with("h OK")) << w;
  EXPECT_NE(w.find("* 1 EXISTS"), std::string::npos) << w;
  EXPECT_EQ(tagged(w, "i"), "i OK Rename completed.");
  EXPECT_EQ(tagged(w, "j"), "j OK Subscribe completed.");
  EXPECT_NE(w.find("* LSUB () \".\" \"\xe6\x97\xa5\xe6\x9c\xac\"\r\nk OK"), std::string::npos) << w;
  // After ENABLE "&" is an ampersand: the modified UTF-7 spelling is another name.
  EXPECT_EQ(tagged(w, "m"), "m OK Create completed.");
  EXPECT_NE(w.find("* QUOTAROOT \"\xe6\x97\xa5\xe6\x9c\xac\""), std::string::npos) << w;
  // On disk, Dovecot's spelling.
  auto folders = h.store_of().list();
  ASSERT_TRUE(folders);
  std::set<std::string> got(folders->begin(), folders->end());
  for (const char* f : {"&ZeVnLA-", "Gr&APwA3w-e.Tom &- Jerry", "Entw&-APw-rfe"}) EXPECT_TRUE(got.count(f)) << f;
  EXPECT_FALSE(got.count(kStored));  // renamed away
  auto box = h.store_of().open("&ZeVnLA-");
  ASSERT_TRUE(box);
  EXPECT_EQ((*box)->messages().size(), 1u);
}

// Before ENABLE the names are modified UTF-7, and 8-bit names are refused.
TEST(ImapUtf8, ModifiedUtf7UntilEnabled) {
  FakeHost h;
  auto t = testing::run(h, script({kLogin, "a CREATE " + kStored, "b LIST \"\" *", "c CREATE \"" + kEntwuerfe + "\""}));
  EXPECT_NE(t.written.find("* LIST (\\HasNoChildren) \".\" " + kStored + "\r\n"), std::string::npos) << t.written;
  EXPECT_EQ(tagged(t.written, "c"), "c NO [CANNOT] Invalid mailbox name.");
}

TEST(ImapUtf8, InvalidUtf8IsRefusedAndNothingIsCreated) {
  FakeHost h;
  auto t = testing::run(h, script({kLogin, "a ENABLE UTF8=ACCEPT", "b CREATE \"Entw\xfcrfe\"", "c CREATE \"a\xc0\xaf" "b\"",
                                   "d CREATE \"\xed\xa0\x80\"", "e SELECT \"Entw\xc3\"", "f CREATE \"../x\"",
                                   "g APPEND \"Entw\xfcrfe\" {1+}", "x", "h RENAME INBOX.x \"\x80\"", "i NOOP"}));
  const std::string& w = t.written;
  for (const char* tag : {"b", "c", "d", "e", "h"})
    EXPECT_EQ(tagged(w, tag), std::string(tag) + " BAD Mailbox name is not valid UTF-8.") << tag;
  EXPECT_EQ(tagged(w, "f"), "f NO [CANNOT] Invalid mailbox name.");
  EXPECT_EQ(tagged(w, "g"), "g NO Invalid mailbox name.");
  EXPECT_EQ(tagged(w, "i"), "i OK NOOP completed.");
  auto folders = h.store_of().list();
  ASSERT_TRUE(folders);
  for (const auto& f : *folders) EXPECT_TRUE(f == "INBOX" || f == "Sent" || f == "Drafts" || f == "Trash" ||
                                             f == "Junk" || f == "Archive") << f;
}

// RFC 6855 4: APPEND's "UTF8 (~{n})" data extension, also in MULTIAPPEND.
TEST(ImapUtf8, AppendUtf8DataExtension) {
  FakeHost h;
  std::string m1 = "Subject: Gr\xc3\xbc\xc3\x9f" "e\r\nFrom: J\xc3\xb6rg <j@x.example>\r\n\r\nHallo\r\n";
  std::string m2 = "Subject: plain\r\n\r\nx\r\n";
  auto n = [](const std::string& m) { return std::to_string(m.size()); };
  auto t = testing::run(h, script({kLogin, "a ENABLE UTF8=ACCEPT", "b APPEND INBOX (\\Seen) UTF8 (~{" + n(m1) + "+}",
                                   m1 + ")", "c APPEND INBOX UTF8 (~{" + n(m1) + "+}", m1 + ") {" + n(m2) + "+}",
                                   m2, "d APPEND INBOX UTF8 ({" + n(m2) + "+}", m2 + ")", "e APPEND INBOX UTF8",
                                   "f NOOP"}));
  const std::string& w = t.written;
  EXPECT_TRUE(tagged(w, "b").starts_with("b OK [APPENDUID")) << w;
  EXPECT_TRUE(tagged(w, "c").starts_with("c OK [APPENDUID")) << w;
  EXPECT_TRUE(tagged(w, "d").starts_with("d BAD")) << w;  // UTF8 takes a literal8
  EXPECT_TRUE(tagged(w, "e").starts_with("e BAD")) << w;
  EXPECT_EQ(tagged(w, "f"), "f OK NOOP completed.");
  auto box = h.store_of().open("INBOX");
  ASSERT_TRUE(box);
  ASSERT_EQ((*box)->messages().size(), 3u);
  EXPECT_EQ(*(*box)->read((*box)->messages()[0].uid),
            "Subject: Gr\xc3\xbc\xc3\x9f" "e\nFrom: J\xc3\xb6rg <j@x.example>\n\nHallo\n");
  EXPECT_EQ((*box)->messages()[0].flags, store::kFlagSeen);
  EXPECT_EQ(*(*box)->read((*box)->messages()[2].uid), "Subject: plain\n\nx\n");
}

}  // namespace
}  // namespace tern::imap
