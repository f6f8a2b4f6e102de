// ENVELOPE: exact strings for plain and hostile header sections. Compared
// with Dovecot 2.3.19: the same but for display names that decode to
// non-ASCII (Dovecot sends the header's bytes, tern RFC 2047 UTF-8 or
// Latin-1 words), source routes (tern: NIL), quoted local parts (tern
// keeps the quotes), and broken lists (Dovecot adds MISSING_MAILBOX
// entries for empty elements and drops what follows a group).
#include <gtest/gtest.h>

#include "mime/message.h"
#include "mime/test_messages.h"

namespace tern::mime {
namespace {

TEST(MimeEnvelope, PlainMessage) {
  EXPECT_EQ(envelope(test::plain),
            "(\"Mon, 7 Feb 1994 21:52:25 -0800\" \"Hello\" "
            "((\"Alice\" NIL \"alice\" \"example.com\")) ((\"Alice\" NIL \"alice\" \"example.com\")) "
            "((\"Alice\" NIL \"alice\" \"example.com\")) "
            "((NIL NIL \"bob\" \"example.org\")(\"Carol, C.\" NIL \"carol\" \"example.net\")) "
            "NIL NIL NIL \"<1@example.com>\")");
}

TEST(MimeEnvelope, EncodedWordsGroupsAndMissingDate) {
  // The subject stays encoded; a decoded non-ASCII name is re-encoded
  // (7-bit); groups as RFC 3501 describes, an address after a group too.
  EXPECT_EQ(envelope(test::mixed),
            "(NIL \"=?UTF-8?B?SGVsbG8gd29ybGQ=?=\" "
            "((\"=?iso-8859-1?b?QW5kcuk=?= Pirard\" NIL \"pirard\" \"example.be\")) "
            "((\"=?iso-8859-1?b?QW5kcuk=?= Pirard\" NIL \"pirard\" \"example.be\")) "
            "((\"=?iso-8859-1?b?QW5kcuk=?= Pirard\" NIL \"pirard\" \"example.be\")) "
            "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) "
            "((NIL NIL \"Team\" NIL)(NIL NIL \"a\" \"example.com\")(\"B\" NIL \"b\" \"example.com\")"
            "(NIL NIL NIL NIL)(NIL NIL \"c\" \"example.com\")) NIL NIL NIL)");
}

TEST(MimeEnvelope, NoHeaderAtAll) {
  EXPECT_EQ(envelope(""), "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
  EXPECT_EQ(envelope("\nbody\n"), "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
}

TEST(MimeEnvelope, SenderAndReplyToOwnOrFrom) {
  // Empty Sender: From; own Reply-To kept; folded subject unfolded; first
  // of two Subject fields.
  EXPECT_EQ(envelope("From: a@example.com\r\nSender:\r\nReply-To: r@example.com\r\n"
                     "Subject: one\r\n two\r\nSubject: second\r\nIn-Reply-To: <p@x>\r\n\r\n"),
            "(NIL \"one two\" ((NIL NIL \"a\" \"example.com\")) ((NIL NIL \"a\" \"example.com\")) "
            "((NIL NIL \"r\" \"example.com\")) NIL NIL NIL \"<p@x>\" NIL)");
}

TEST(MimeEnvelope, EightBitAndQuotesForceLiteralOrEscape) {
  std::string env = envelope("Subject: caf\xc3\xa9\nMessage-ID: <a\"b\\c@x>\nFrom: J\xc3\xb6rg <j@example.de>\n\n");
  // 8-bit subject: a literal; quote and backslash: escaped; 8-bit name: RFC 2047.
  EXPECT_EQ(env,
            "(NIL {5}\r\ncaf\xc3\xa9 ((\"=?iso-8859-1?b?SvZyZw==?=\" NIL \"j\" \"example.de\")) "
            "((\"=?iso-8859-1?b?SvZyZw==?=\" NIL \"j\" \"example.de\")) "
            "((\"=?iso-8859-1?b?SvZyZw==?=\" NIL \"j\" \"example.de\")) NIL NIL NIL NIL "
            "\"<a\\\"b\\\\c@x>\")");
}

TEST(MimeEnvelope, AddressWithoutDomainIsNeverGroupSyntax) {
  std::string env = envelope("To: root\n\n");
  EXPECT_NE(env.find("(NIL NIL \"root\" \"MISSING_DOMAIN\")"), std::string::npos) << env;
}

TEST(MimeEnvelope, ManyAddressesAreBounded) {
  std::string to = "To: ";
  for (int i = 0; i < 3000; ++i) to += "u" + std::to_string(i) + "@example.com, ";
  std::string env = envelope(to + "last@example.com\n\n");
  size_t count = 0;
  for (size_t pos = 0; (pos = env.find("\"example.com\")", pos)) != std::string::npos; ++pos) ++count;
  EXPECT_GT(count, 100u);
  EXPECT_LE(count, 1000u);
}

}  // namespace
}  // namespace tern::mime
