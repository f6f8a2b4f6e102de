// IMAP URL parsing (imap_url.h): the three forms CATENATE takes, case,
// percent-decoding, and what is refused.
#include <gtest/gtest.h>

#include "imap/proto/imap_url.h"

namespace tern::imap {
namespace {

ImapUrl ok(std::string_view s) {
  auto r = parse_imap_url(s);
  if (auto* e = std::get_if<std::string>(&r)) ADD_FAILURE() << s << ": " << *e;
  auto* u = std::get_if<ImapUrl>(&r);
  return u ? *u : ImapUrl{};
}

TEST(ImapUrl, ServerRootForm) {
  ImapUrl u = ok("/Drafts;UIDVALIDITY=385759045/;UID=20/;section=1.MIME");
  EXPECT_EQ(u.base, ImapUrl::Base::server_root);
  EXPECT_EQ(u.mailbox, "Drafts");
  EXPECT_EQ(u.uidvalidity, 385759045u);
  EXPECT_EQ(u.uid, 20u);
  ASSERT_TRUE(u.has_section);
  EXPECT_EQ(u.section.part, std::vector<uint32_t>{1});
  EXPECT_EQ(u.section.text, Section::Text::mime);
  EXPECT_FALSE(u.has_partial);

  u = ok("/INBOX.Sub/;uid=3");
  EXPECT_EQ(u.mailbox, "INBOX.Sub");
  EXPECT_EQ(u.uidvalidity, 0u);
  EXPECT_EQ(u.uid, 3u);
  EXPECT_FALSE(u.has_section);

  u = ok("/Entw%C3%BCrfe/;UID=1/;PARTIAL=5");  // RFC 5092: UTF-8, percent-encoded
  EXPECT_EQ(u.mailbox, "Entw\xc3\xbcrfe");
  EXPECT_TRUE(u.has_partial);
  EXPECT_EQ(u.partial_offset, 5u);
  EXPECT_EQ(u.partial_length, 0u);
}

TEST(ImapUrl, AbsoluteForm) {
  ImapUrl u = ok("imap://alice%40virt.test;AUTH=*@Mail.Example:143/INBOX;UIDVALIDITY=7/;UID=3/"
                 ";SECTION=HEADER.FIELDS%20(FROM%20TO)/;PARTIAL=0.100");
  EXPECT_EQ(u.base, ImapUrl::Base::absolute);
  EXPECT_EQ(u.user, "alice@virt.test");
  EXPECT_EQ(u.host, "Mail.Example");
  EXPECT_EQ(u.mailbox, "INBOX");
  EXPECT_EQ(u.section.text, Section::Text::header_fields);
  EXPECT_EQ(u.section.fields, (std::vector<std::string>{"FROM", "TO"}));
  EXPECT_EQ(u.partial_offset, 0u);
  EXPECT_EQ(u.partial_length, 100u);
  u = ok("imap://[::1]/x/;UID=1");
  EXPECT_EQ(u.host, "[::1]");
  EXPECT_EQ(u.user, "");
}

TEST(ImapUrl, SelectedMailboxForm) {
  ImapUrl u = ok(";UID=20/;SECTION=TEXT");
  EXPECT_EQ(u.base, ImapUrl::Base::selected);
  EXPECT_EQ(u.mailbox, "");
  EXPECT_EQ(u.uid, 20u);
  EXPECT_EQ(u.section.text, Section::Text::text);
}

TEST(ImapUrl, Refused) {
  for (std::string bad : std::vector<std::string>{"", "/", "INBOX;UID=1", "http://x/INBOX/;UID=1", "imap://host", "imap:///INBOX/;UID=1", "/INBOX",
        "/INBOX;UID=1", "/INBOX/;UID=0", "/INBOX/;UID=4294967296", "/INBOX/;UID=x", "/INBOX;UIDVALIDITY=0/;UID=1",
        "/INBOX;UIDVALIDITY=1;UID=1", "//;UID=1", "/%00x/;UID=1", "/%4/;UID=1", "/%zz/;UID=1",
        "/INBOX/;UID=1/;SECTION=", "/INBOX/;UID=1/;SECTION=1.2.X", "/INBOX/;UID=1/;SECTION=1]<0.5>",
        "/INBOX/;UID=1/;SECTION=0", "/INBOX/;UID=1/;PARTIAL=", "/INBOX/;UID=1/;PARTIAL=1.0",
        "/INBOX/;UID=1/;PARTIAL=a", "/INBOX/;UID=1;SECTION=1", "/INBOX/;UID=1/;URLAUTH=anonymous:internal:91",
        "/INBOX/;UID=1/;EXPIRE=2026-01-01T00:00:00Z", "/INBOX/;UID=1/;FOO=1", "/INBOX/;UID=1/", "/IN BOX/;UID=1",
        "/IN\rBOX/;UID=1", "imap://u;X=1@h/INBOX/;UID=1", "imap://h:99999/INBOX/;UID=1", "/INBOX?SUBJECT%20x",
        "/INBOX/;UID=1/;SECTION=1/;PARTIAL=1/;SECTION=2", "/" + std::string(kMaxImapUrlBytes, 'a') + "/;UID=1"}) {
    auto r = parse_imap_url(bad);
    EXPECT_TRUE(std::holds_alternative<std::string>(r)) << bad;
  }
}

TEST(ImapUrl, PercentDecode) {
  EXPECT_EQ(percent_decode("a%20b%2fc"), "a b/c");
  EXPECT_EQ(percent_decode("plain"), "plain");
  EXPECT_EQ(percent_decode("%"), std::nullopt);
  EXPECT_EQ(percent_decode("%2"), std::nullopt);
  EXPECT_EQ(percent_decode("%g0"), std::nullopt);
  EXPECT_EQ(percent_decode("%00"), std::nullopt);
  EXPECT_EQ(percent_decode(std::string("a\0b", 3)), std::nullopt);
}

}  // namespace
}  // namespace tern::imap
