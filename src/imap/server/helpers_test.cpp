// The pure pieces of imap/server: mailbox names and LIST wildcards
// (names.h), raw message views and dates (message_text.h), the
// subscriptions file (subscriptions.h).
#include <gtest/gtest.h>

#include "imap/server/message_text.h"
#include "imap/server/names.h"
#include "imap/server/subscriptions.h"
#include "store/store_test_util.h"

namespace tern::imap {
namespace {

TEST(ImapNames, FolderOf) {
  EXPECT_EQ(folder_of("inbox"), "INBOX");
  EXPECT_EQ(folder_of("InBox.Sub"), "INBOX.Sub");
  EXPECT_EQ(folder_of("Work.Projects"), "Work.Projects");
  EXPECT_EQ(folder_of("Trash."), "Trash");
  EXPECT_EQ(folder_of("a&-b"), "a&-b");
  for (std::string bad : {"", ".", "..", "../x", "a/b", "a..b", ".a", "&AGE", "&AGE-", "&2D0-", "x\x01y",
                          "INBOX..x", "INBOX./x"})
    EXPECT_EQ(folder_of(bad), std::nullopt) << bad;
}

// RFC 6855: a UTF-8 name maps to the modified UTF-7 folder Dovecot would
// make for it, and back; "&" is an ampersand; invalid UTF-8 is no name.
TEST(ImapNames, Utf8NamesBothWays) {
  struct Case {
    std::string utf8, stored;
  };
  for (const Case& c : std::vector<Case>{{"Entw\xc3\xbcrfe", "Entw&APw-rfe"},
                                         {"inbox.Gr\xc3\xbc\xc3\x9f" "e", "INBOX.Gr&APwA3w-e"},
                                         {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "&ZeVnLIqe-"},
                                         {"Tom & Jerry", "Tom &- Jerry"},
                                         {"\xf0\x9f\x93\xa7.Post", "&2D3c5w-.Post"},
                                         {"Work.Projects", "Work.Projects"}}) {
    EXPECT_EQ(folder_of_utf8(c.utf8), c.stored) << c.utf8;
    std::string shown = c.stored.starts_with("INBOX") ? "INBOX" + c.utf8.substr(5) : c.utf8;
    EXPECT_EQ(client_name(c.stored, true), shown) << c.stored;
    EXPECT_EQ(client_name(c.stored, false), c.stored);
  }
  // Invalid UTF-8 (a lone continuation byte, an overlong "/", a surrogate,
  // a cut sequence, Latin-1), controls (C0, DEL, C1: not Net-Unicode) and
  // what folder_of refuses after encoding.
  for (std::string bad : {"\x80", "a\xc0\xaf" "b", "\xed\xa0\x80", "Entw\xc3", "Entw\xfcrfe", "", "../x", "a/b",
                          "a..b", "x\x01y", "x\x7fy", "x\xc2\x85y", "INBOX..x"})
    EXPECT_EQ(folder_of_utf8(bad), std::nullopt) << bad;
  // A stored name that is not canonical mUTF-7 is shown as it is.
  EXPECT_EQ(client_name("a&b", true), "a&b");
  EXPECT_EQ(client_name("INBOX", true), "INBOX");
}

TEST(ImapNames, ListMatch) {
  EXPECT_TRUE(list_match("*", "a.b.c"));
  EXPECT_TRUE(list_match("%", "a"));
  EXPECT_FALSE(list_match("%", "a.b"));
  EXPECT_TRUE(list_match("a.%", "a.b"));
  EXPECT_FALSE(list_match("a.%", "a.b.c"));
  EXPECT_TRUE(list_match("a*c", "a.b.c"));
  EXPECT_FALSE(list_match("a%c", "a.b.c"));
  EXPECT_TRUE(list_match("inbox", "INBOX"));
  EXPECT_TRUE(list_match("Inbox.%", "INBOX.x"));
  EXPECT_FALSE(list_match("inboxes", "INBOX"));
  EXPECT_FALSE(list_match("work", "Work"));  // only INBOX ignores case
  EXPECT_FALSE(list_match(std::string(2000, '*'), "a"));  // over the pattern limit
  // Many stars cost |pattern| x |name|, not exponential time.
  EXPECT_FALSE(list_match(std::string(1000, '*') + "z", std::string(250, 'a')));
  EXPECT_EQ(join_reference("Work.", "%"), "Work.%");
  EXPECT_EQ(join_reference("Work.", ".x"), "Work.x");
  EXPECT_EQ(join_reference("", "*"), "*");
}

TEST(ImapMessageText, CrlfHeaderText) {
  EXPECT_EQ(to_crlf("a\nb\r\nc\n"), "a\r\nb\r\nc\r\n");
  EXPECT_EQ(crlf_size("a\nb\r\nc\n"), to_crlf("a\nb\r\nc\n").size());
  EXPECT_EQ(to_lf("a\r\nb\rc\r\n"), "a\nb\rc\n");
  std::string m = "A: 1\r\nB: 2\r\n folded\r\n\r\nbody\r\n";
  EXPECT_EQ(header_of(m), "A: 1\r\nB: 2\r\n folded\r\n\r\n");
  EXPECT_EQ(text_of(m), "body\r\n");
  EXPECT_EQ(header_of("no blank line"), "no blank line");
  EXPECT_EQ(text_of("no blank line"), "");
  EXPECT_EQ(header_of("\r\nbody"), "\r\n");
  EXPECT_EQ(header_fields(header_of(m), {"B"}, false), "B: 2\r\n folded\r\n\r\n");
  EXPECT_EQ(header_fields(header_of(m), {"B"}, true), "A: 1\r\n\r\n");
  EXPECT_EQ(header_values(header_of(m), "b"), " 2 folded");
  EXPECT_EQ(header_values(header_of(m), "C"), std::nullopt);
  EXPECT_TRUE(icontains("Hello World", "o w"));
  EXPECT_FALSE(icontains("Hello", "hello!"));
  EXPECT_TRUE(icontains("x", ""));
}

// A streamed APPEND literal converts the same wherever it is cut, even
// between a CR and its LF.
TEST(ImapMessageText, LfStreamMatchesToLfAtEverySplit) {
  const std::string whole = "a\r\nb\r\rc\r\n\r\n\rd\r";
  for (size_t i = 0; i <= whole.size(); ++i)
    for (size_t j = i; j <= whole.size(); ++j) {
      LfStream s;
      std::string out = s.convert(whole.substr(0, i));
      out += s.convert(whole.substr(i, j - i));
      out += s.convert(whole.substr(j));
      out += s.finish();
      EXPECT_EQ(out, to_lf(whole)) << i << " " << j;
    }
}

TEST(ImapMessageText, Dates) {
  EXPECT_EQ(parse_date_time("17-Jul-1996 02:44:25 -0700"), 837596665);
  EXPECT_EQ(parse_date_time(" 7-Jul-1996 02:44:25 +0000"), 836707465);
  EXPECT_EQ(parse_date_time("29-Feb-2024 00:00:00 +0000"), 1709164800);
  for (std::string bad : {"31-Feb-2020 00:00:00 +0000", "29-Feb-2023 00:00:00 +0000", "17-Jux-1996 02:44:25 -0700",
                          "17-Jul-1996 24:00:00 +0000", "17-Jul-1996 02:44:25 0700", "17-Jul-1996", ""})
    EXPECT_EQ(parse_date_time(bad), std::nullopt) << bad;
  EXPECT_EQ(format_date_time(837596665), "17-Jul-1996 09:44:25 +0000");
  EXPECT_EQ(parse_rfc5322_date("Tue, 1 Jul 2003 10:52:37 +0200"), (CivilDate{2003, 7, 1}));
  EXPECT_EQ(parse_rfc5322_date("1 Jul 03 10:52"), (CivilDate{2003, 7, 1}));
  EXPECT_EQ(parse_rfc5322_date("garbage"), std::nullopt);
  EXPECT_EQ(civil_date(837596665), (CivilDate{1996, 7, 17}));
}

TEST(ImapSubscriptions, FileFormsAndBadLines) {
  store::test_util::TempDir dir;
  std::string path = dir / "subscriptions";
  {
    Subscriptions s(path);
    EXPECT_TRUE(s.names().empty());  // no file yet
    ASSERT_TRUE(s.add("b"));
    ASSERT_TRUE(s.add("a.x"));
    ASSERT_TRUE(s.add("a.x"));
    ASSERT_TRUE(s.remove("nothing"));
  }
  EXPECT_EQ(store::test_util::slurp(path), "a.x\nb\n");
  EXPECT_EQ(Subscriptions(path).names(), (std::set<std::string>{"a.x", "b"}));
  // Dovecot's version 2 (tab between levels) and lines that are no names.
  std::ofstream(path) << "V\t2\n\nWork\tProjects\n../etc\n..\nINBOX\n";
  EXPECT_EQ(Subscriptions(path).names(), (std::set<std::string>{"INBOX", "Work.Projects"}));
  // No path: kept in memory only.
  Subscriptions mem("");
  ASSERT_TRUE(mem.add("x"));
  EXPECT_EQ(mem.names().size(), 1u);
}

}  // namespace
}  // namespace tern::imap
