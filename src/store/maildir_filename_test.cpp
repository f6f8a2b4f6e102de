// Tests for the pure parts of the Maildir reader: file names (flags, size
// fields, hostile names) and the dovecot-uidlist parser and formatter.
#include <gtest/gtest.h>

#include "store/keywords.h"
#include "store/maildir_filename.h"
#include "store/uidlist.h"

using namespace tern::store;

TEST(MaildirFilename, ParsesBaseFlagsAndSizes) {
  auto f = parse_maildir_filename("1700000000.M5P7Q1.host,S=1234,W=1260:2,RSa");
  EXPECT_EQ(f.base, "1700000000.M5P7Q1.host,S=1234,W=1260");
  EXPECT_EQ(f.flags, kFlagAnswered | kFlagSeen);
  EXPECT_EQ(f.keywords, "a");
  EXPECT_EQ(f.size_bytes, 1234u);
  EXPECT_EQ(f.vsize_bytes, 1260u);
  auto bare = parse_maildir_filename("1700000000.123.host");
  EXPECT_EQ(bare.base, "1700000000.123.host");
  EXPECT_EQ(bare.flags, 0);
  EXPECT_FALSE(bare.size_bytes);
  // Experimental "1," info: no flags; a bad S= is no size.
  EXPECT_EQ(parse_maildir_filename("x,S=12z:1,S").flags, 0);
  EXPECT_FALSE(parse_maildir_filename("x,S=12z:1,S").size_bytes);
}

TEST(MaildirFilename, FormatSortsFlagsAndKeepsKeywords) {
  EXPECT_EQ(format_maildir_filename("b", kFlagSeen | kFlagDraft | kFlagDeleted, ""), "b:2,DST");
  EXPECT_EQ(format_maildir_filename("b", kFlagFlagged, "cab"), "b:2,Fabc");
  auto f = parse_maildir_filename("b:2,SbFa");
  EXPECT_EQ(format_maildir_filename(f.base, f.flags, f.keywords), "b:2,FSab");
  for (MaildirFlags fl = 0; fl < 64; ++fl) {
    auto again = parse_maildir_filename(format_maildir_filename("x", fl, ""));
    EXPECT_EQ(again.flags, fl);
  }
}

TEST(MaildirFilename, RefusesNamesThatEscape) {
  for (std::string_view bad : std::initializer_list<std::string_view>{"", ".", "..", ".hidden", "a/b", "../x", "a\nb", "a\rb", std::string_view("a\0b", 3),
                               "a\x7f"})
    EXPECT_FALSE(maildir_name_ok(bad)) << bad;
  EXPECT_FALSE(maildir_name_ok(std::string(256, 'a')));
  EXPECT_TRUE(maildir_name_ok("1700000000.M1P2Q3.host,S=5:2,S"));
}

TEST(Uidlist, ParsesDovecotVersion3) {
  auto l = parse_uidlist(
      "3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1 Xfuture\n"
      "25006 :1276528487.M364837P9451.kurkku,S=1355,W=1394\n"
      "25017 W2481 P1234 :1276533073.M242911P3632.kurkku,S=2381:2,S\n");
  ASSERT_TRUE(l) << l.error().detail;
  EXPECT_EQ(l->uidvalidity, 1275660208u);
  EXPECT_EQ(l->next_uid, 25022u);
  EXPECT_EQ(l->guid, "3085f01b7f11094c501100008c4a11c1");
  EXPECT_EQ(l->header_extra, "Xfuture");
  ASSERT_EQ(l->records.size(), 2u);
  EXPECT_EQ(l->records[1].uid, 25017u);
  EXPECT_EQ(l->records[1].extensions, "W2481 P1234");
  EXPECT_EQ(l->records[1].base, "1276533073.M242911P3632.kurkku,S=2381");
  // What tern writes, Dovecot's own layout: read back the same.
  auto again = parse_uidlist(format_uidlist(*l));
  ASSERT_TRUE(again);
  EXPECT_EQ(format_uidlist(*again), format_uidlist(*l));
  EXPECT_EQ(format_uidlist(*l).substr(0, 50), "3 V1275660208 N25022 G3085f01b7f11094c501100008c4a");
}

TEST(Uidlist, ReadsVersion1AndRaisesALaggingNextUid) {
  auto l = parse_uidlist("1 1000 3\n1 a.host\n7 b.host\n");
  ASSERT_TRUE(l) << l.error().detail;
  EXPECT_EQ(l->uidvalidity, 1000u);
  EXPECT_EQ(l->next_uid, 8u);  // never below a UID in use
  EXPECT_EQ(l->records[1].base, "b.host");
}

// A last line without its newline is a record being appended (or cut short
// by a crash): left out, not damage; a torn header is damage.
TEST(Uidlist, LeavesOutATornLastLine) {
  auto l = parse_uidlist("3 V1 N2 G3085f01b7f11094c501100008c4a11c1\n1 :a\n2 :b");
  ASSERT_TRUE(l);
  EXPECT_TRUE(l->torn_tail);
  ASSERT_EQ(l->records.size(), 1u);
  EXPECT_EQ(l->records[0].base, "a");
  EXPECT_EQ(l->next_uid, 2u);
  auto whole = parse_uidlist("3 V1 N2\n1 :a\n");
  ASSERT_TRUE(whole);
  EXPECT_FALSE(whole->torn_tail);
  EXPECT_FALSE(parse_uidlist("3 V1 N2"));
}

TEST(Uidlist, RefusesDamage) {
  const char* cases[] = {
      "",                                                       // empty
      "3 N2 G3085f01b7f11094c501100008c4a11c1\n",               // no UIDVALIDITY
      "3 V0 N2\n",                                              // zero
      "2 V1 N2\n",                                              // unknown version
      "3 V1 N9\n2 :a\n2 :b\n",                                  // UID repeated
      "3 V1 N9\n3 :a\n2 :b\n",                                  // UIDs backwards
      "3 V1 N9\n0 :a\n",                                        // UID zero
      "3 V1 N9\n4294967295 :a\n",                               // too high
      "3 V1 N9\n99999999999 :a\n",                              // overflow
      "3 V1 N9\n1 :../../etc/passwd\n",                         // escape
      "3 V1 N9\n1 :.hidden\n",                                  //
      "3 V1 N9\n1 a\n",                                         // no ':' in v3
      "3 V1 N9\n1 x5 :a\n",                                     // bad extension key
      "3 V1 N9 Gxyz\n",                                         // bad GUID
      "3 V1 N9\nx :a\n",                                        //
  };
  for (const char* c : cases) EXPECT_FALSE(parse_uidlist(c)) << c;
}

TEST(Keywords, ParsesDovecotKeywordsLeniently) {
  auto t = parse_keywords("0 $Forwarded\n1 $Junk\n3 NonJunk\nbad line\n30 x\n2 a b\n4 $junk\n5 \\Seen\n1 dup\n");
  EXPECT_EQ(t[0], "$Forwarded");
  EXPECT_EQ(t[1], "$Junk");
  EXPECT_EQ(t[2], "");   // "a b" is no keyword
  EXPECT_EQ(t[3], "NonJunk");
  EXPECT_EQ(t[4], "");   // $junk again, other case
  EXPECT_EQ(t[5], "");   // a system flag
  EXPECT_EQ(keyword_letter(t, "$JUNK"), 'b');
  EXPECT_FALSE(keyword_letter(t, "nope"));
  EXPECT_EQ(format_keywords(t), "0 $Forwarded\n1 $Junk\n3 NonJunk\n");
  EXPECT_EQ(parse_keywords(format_keywords(t)), t);
}

// Names of one second sort by their microseconds as numbers (they are not
// zero-padded: "M99" was taken after "M102707" by a plain string sort, and
// POP3 and IMAP numbered two messages of one second the wrong way round).
TEST(MaildirFilename, DeliveredBeforeReadsTheTimeInTheName) {
  EXPECT_TRUE(delivered_before("1796336206.M99P1Q1.host", "1796336206.M102707P1Q2.host"));
  EXPECT_FALSE(delivered_before("1796336206.M102707P1Q2.host", "1796336206.M99P1Q1.host"));
  EXPECT_TRUE(delivered_before("1796336205.M999999P1Q1.host", "1796336206.M1P1Q1.host"));
  EXPECT_TRUE(delivered_before("999999999.M5P1.host", "1000000000.M1P1.host"));  // more digits, later
  EXPECT_TRUE(delivered_before("1796336206.M5P1Q1.a", "1796336206.M5P1Q1.b"));   // same time: by name
  EXPECT_TRUE(delivered_before("1796336206.P1.host", "1796336206.M5P1.host"));    // no M: microsecond 0
  EXPECT_TRUE(delivered_before("1796336206.M5P1.host", "odd-name"));              // names without a time last
  EXPECT_FALSE(delivered_before("odd-name", "1796336206.M5P1.host"));
  EXPECT_TRUE(delivered_before("a-odd", "b-odd"));
  EXPECT_FALSE(delivered_before("x", "x"));
}
