// BODY[section]: part numbering (multipart, message/rfc822 nesting, the
// single-part "1" rule), HEADER, TEXT, MIME and HEADER.FIELDS(.NOT).
#include <gtest/gtest.h>

#include <variant>

#include "mime/message.h"
#include "mime/test_messages.h"

namespace tern::mime {
namespace {

// BODY[spec] of msg, or "NONE".
std::string fetch(const Message& msg, const std::string& spec) {
  auto att = imap::parse_fetch_att("BODY[" + spec + "]");
  const auto* parsed = std::get_if<imap::FetchAtt>(&att);
  if (!parsed) return "BAD";
  auto bytes = msg.section(parsed->section);
  return bytes ? *bytes : "NONE";
}

TEST(MimeSection, SinglePartMessage) {
  Message m(test::plain);
  const std::string header =
      "From: Alice <alice@example.com>\r\nTo: bob@example.org, \"Carol, C.\" <carol@example.net>\r\n"
      "Subject: Hello\r\nDate: Mon, 7 Feb 1994 21:52:25 -0800\r\nMessage-ID: <1@example.com>\r\n\r\n";
  EXPECT_EQ(fetch(m, ""), header + "Hi Bob,\r\nline two\r\n");
  EXPECT_EQ(fetch(m, "HEADER"), header);
  EXPECT_EQ(fetch(m, "TEXT"), "Hi Bob,\r\nline two\r\n");
  EXPECT_EQ(fetch(m, "1"), "Hi Bob,\r\nline two\r\n");  // the one part of a non-multipart message
  EXPECT_EQ(fetch(m, "1.MIME"), header);
  EXPECT_EQ(fetch(m, "HEADER.FIELDS (SUBJECT TO)"),
            "To: bob@example.org, \"Carol, C.\" <carol@example.net>\r\nSubject: Hello\r\n\r\n");
  EXPECT_EQ(fetch(m, "HEADER.FIELDS.NOT (subject to date)"),
            "From: Alice <alice@example.com>\r\nMessage-ID: <1@example.com>\r\n\r\n");
  EXPECT_EQ(fetch(m, "HEADER.FIELDS (X-NONE)"), "\r\n");
  EXPECT_EQ(fetch(m, "2"), "NONE");
  EXPECT_EQ(fetch(m, "1.1"), "NONE");
  EXPECT_EQ(fetch(m, "1.HEADER"), "NONE");  // part 1 is not message/rfc822
}

TEST(MimeSection, MultipartAndNestedMessage) {
  Message m(test::mixed);
  EXPECT_EQ(fetch(m, "1.1"), "plain");  // the CRLF before a delimiter is the delimiter's
  EXPECT_EQ(fetch(m, "1.2"), "<p>html</p>");
  EXPECT_EQ(fetch(m, "1.2.MIME"),
            "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
  EXPECT_EQ(fetch(m, "1"),
            "--inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain\r\n--inner\r\n"
            "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            "<p>html</p>\r\n--inner--\r\n");  // a close delimiter's line end stays, as in Dovecot
  EXPECT_EQ(fetch(m, "2"), "JVBERi0=");
  const std::string inner_header = "From: inner@example.com\r\nSubject: inner\r\nContent-Type: text/plain\r\n\r\n";
  EXPECT_EQ(fetch(m, "3"), inner_header + "inner body");
  EXPECT_EQ(fetch(m, "3.MIME"), "Content-Type: message/rfc822\r\n\r\n");
  EXPECT_EQ(fetch(m, "3.HEADER"), inner_header);
  EXPECT_EQ(fetch(m, "3.TEXT"), "inner body");
  EXPECT_EQ(fetch(m, "3.1"), "inner body");  // single part of the encapsulated message
  EXPECT_EQ(fetch(m, "3.1.MIME"), inner_header);
  EXPECT_EQ(fetch(m, "3.HEADER.FIELDS (Subject)"), "Subject: inner\r\n\r\n");
  EXPECT_EQ(fetch(m, "3.2"), "NONE");
  EXPECT_EQ(fetch(m, "4"), "NONE");
  EXPECT_EQ(fetch(m, "0"), "BAD");  // refused by the FETCH parser already
  EXPECT_EQ(fetch(m, "1.HEADER"), "NONE");
  EXPECT_EQ(fetch(m, "2.TEXT"), "NONE");
}

// Compared with Dovecot 2.3.19: a message/rfc822 part holding a multipart
// ends after the close delimiter's CRLF, the multipart part beside it
// keeps its epilogue.
TEST(MimeSection, MessageHoldingMultipart) {
  Message m(
      "Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: message/rfc822\n\nSubject: in\n"
      "Content-Type: multipart/alternative; boundary=i\n\n--i\n\none\n--i--\n--o\n"
      "Content-Type: multipart/mixed; boundary=j\n\n--j\n\ntwo\n--j--\nepi\n--o--\n");
  EXPECT_EQ(fetch(m, "1"), "Subject: in\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n--i\r\n\r\none\r\n--i--\r\n");
  EXPECT_EQ(fetch(m, "1.TEXT"), "--i\r\n\r\none\r\n--i--\r\n");
  EXPECT_EQ(fetch(m, "1.1"), "one");
  EXPECT_EQ(fetch(m, "1.1.MIME"), "\r\n");
  EXPECT_EQ(fetch(m, "2"), "--j\r\n\r\ntwo\r\n--j--\r\nepi");
  EXPECT_EQ(fetch(m, "2.1"), "two");
  EXPECT_EQ(m.body_structure(true),
            "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 83 (NIL \"in\" NIL NIL NIL NIL NIL NIL NIL NIL) "
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 0 NIL NIL NIL NIL) \"alternative\" "
            "(\"boundary\" \"i\") NIL NIL NIL) 7 NIL NIL NIL NIL)((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL "
            "NIL \"7bit\" 3 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"j\") NIL NIL NIL) \"mixed\" "
            "(\"boundary\" \"o\") NIL NIL NIL)");
}

// Dovecot answers N.1 of a leaf inside a multipart with the leaf; tern
// (like RFC 3501, which numbers only multiparts and messages) has no such part.
TEST(MimeSection, NoPartUnderALeaf) {
  Message m(test::mixed);
  EXPECT_EQ(fetch(m, "2.1"), "NONE");
  EXPECT_EQ(fetch(m, "1.1.1"), "NONE");
}

TEST(MimeSection, MimeOfTheWholeMessageIsNone) {
  imap::Section s;
  s.text = imap::Section::Text::mime;
  EXPECT_FALSE(Message(test::plain).section(s));
}

TEST(MimeSection, FoldedFieldsKeepTheirContinuation) {
  Message m("Subject: one\n two\nX-A: 1\nsubject: again\n\nbody\n");
  EXPECT_EQ(fetch(m, "HEADER.FIELDS (SUBJECT)"), "Subject: one\r\n two\r\nsubject: again\r\n\r\n");
  EXPECT_EQ(fetch(m, "HEADER.FIELDS.NOT (SUBJECT)"), "X-A: 1\r\n\r\n");
}

TEST(MimeSection, MessageWithoutBodyOrHeader) {
  Message headers_only("Subject: x\n");
  EXPECT_EQ(fetch(headers_only, "HEADER"), "Subject: x\r\n");
  EXPECT_EQ(fetch(headers_only, "TEXT"), "");
  Message body_only("\nbody\n");
  EXPECT_EQ(fetch(body_only, "HEADER"), "\r\n");
  EXPECT_EQ(fetch(body_only, "TEXT"), "body\r\n");
  Message empty("");
  EXPECT_EQ(fetch(empty, ""), "");
  EXPECT_EQ(fetch(empty, "1"), "");
}

TEST(MimeSection, TopLevelMessageRfc822) {
  // A message whose own type is message/rfc822: part 1 is the encapsulated
  // message, 1.1 its single part.
  Message m("Content-Type: message/rfc822\n\nSubject: in\n\nbody\n");
  EXPECT_EQ(fetch(m, "1"), "Subject: in\r\n\r\nbody\r\n");
  EXPECT_EQ(fetch(m, "1.HEADER"), "Subject: in\r\n\r\n");
  EXPECT_EQ(fetch(m, "1.1"), "body\r\n");
  EXPECT_EQ(fetch(m, "TEXT"), "Subject: in\r\n\r\nbody\r\n");
}

}  // namespace
}  // namespace tern::mime
