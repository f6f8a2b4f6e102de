// BODY and BODYSTRUCTURE: exact strings for representative and malformed
// messages, sizes and line counts in CRLF form. The strings of the
// multipart, digest, RFC 2231, unterminated and 8-bit cases are those a
// throwaway Dovecot 2.3.19 gave for the same messages; the opaque leaves
// (no boundary, limits, encoded message/rfc822) are tern's own choice.
#include <gtest/gtest.h>

#include "mime/message.h"
#include "mime/test_messages.h"

namespace tern::mime {
namespace {

TEST(MimeBodyStructure, PlainTextCountsCrlfOctetsAndLines) {
  // 19 octets: "Hi Bob,\r\nline two\r\n", though the input has LF.
  EXPECT_EQ(bodystructure(test::plain, false), "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 19 2)");
  EXPECT_EQ(bodystructure(test::plain, true),
            "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 19 2 NIL NIL NIL NIL)");
  Message m(test::plain);
  EXPECT_EQ(m.size(), std::string_view(test::plain).size() + 8);  // 8 lines
}

TEST(MimeBodyStructure, SameForLfAndCrlf) {
  std::string crlf;
  for (char c : std::string_view(test::mixed)) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  EXPECT_EQ(bodystructure(crlf, true), bodystructure(test::mixed, true));
  Message borrowed(crlf);
  EXPECT_EQ(borrowed.crlf().data(), crlf.data());  // no copy when already CRLF
}

TEST(MimeBodyStructure, MixedAlternativeAttachmentAndMessage) {
  EXPECT_EQ(bodystructure(test::mixed, false),
            "(((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 5 0)"
            "(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 11 0) \"alternative\")"
            "(\"application\" \"pdf\" (\"name*\" \"UTF-8''r%C3%A9sum%C3%A9.pdf\") \"<pdf@x>\" \"CV\" \"base64\" 8)"
            "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 79 "
            "(NIL \"inner\" ((NIL NIL \"inner\" \"example.com\")) ((NIL NIL \"inner\" \"example.com\")) "
            "((NIL NIL \"inner\" \"example.com\")) NIL NIL NIL NIL NIL) "
            "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0) 4) \"mixed\")");
  EXPECT_EQ(bodystructure(test::mixed, true),
            "(((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 5 0 NIL NIL NIL NIL)"
            "(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 11 0 NIL NIL NIL NIL) "
            "\"alternative\" (\"boundary\" \"inner\") NIL NIL NIL)"
            "(\"application\" \"pdf\" (\"name*\" \"UTF-8''r%C3%A9sum%C3%A9.pdf\") \"<pdf@x>\" \"CV\" \"base64\" 8 "
            "NIL (\"attachment\" (\"filename*\" \"UTF-8''r%C3%A9sum.pdf\")) (\"en\" \"fr\") "
            "\"http://example.com/cv.pdf\")"
            "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 79 "
            "(NIL \"inner\" ((NIL NIL \"inner\" \"example.com\")) ((NIL NIL \"inner\" \"example.com\")) "
            "((NIL NIL \"inner\" \"example.com\")) NIL NIL NIL NIL NIL) "
            "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0 NIL NIL NIL NIL) 4 "
            "NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"outer\") NIL NIL NIL)");
}

// Parameters in RFC 2231 form come after the plain ones, as in Dovecot.
TEST(MimeBodyStructure, Rfc2231ContinuationsWithoutCharsetJoin) {
  std::string msg =
      "Content-Type: text/plain; name*0=\"long \"; name*1=\"name.txt\"; charset=\"iso-8859-1\"\n"
      "Content-Disposition: inline; filename*=iso-8859-1'fr'caf%E9.txt\n\nx\n";
  EXPECT_EQ(bodystructure(msg, true),
            "(\"text\" \"plain\" (\"charset\" \"iso-8859-1\" \"name\" \"long name.txt\") NIL NIL \"7bit\" 3 1 "
            "NIL (\"inline\" (\"filename*\" \"iso-8859-1'fr'caf%E9.txt\")) NIL NIL)");
}

TEST(MimeBodyStructure, MultipartWithoutBoundaryIsOpaqueLeaf) {
  EXPECT_EQ(bodystructure("Content-Type: multipart/mixed\n\nno boundary here\n", false),
            "(\"application\" \"octet-stream\" NIL NIL NIL \"7bit\" 18)");
  // A boundary that never occurs: the same.
  EXPECT_EQ(bodystructure("Content-Type: multipart/mixed; boundary=x\n\nnothing\n", false),
            "(\"application\" \"octet-stream\" NIL NIL NIL \"7bit\" 9)");
}

TEST(MimeBodyStructure, UnterminatedLastPartRunsToTheEnd) {
  std::string msg =
      "Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nfirst\n--x\n\n"
      "second, never closed\n";
  EXPECT_EQ(bodystructure(msg, false),
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0)"
            "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 22 1) \"mixed\")");
}

TEST(MimeBodyStructure, BoundaryPrefixOfAnotherIsNotADelimiter) {
  // "--ab" must not end parts of boundary "a"; whitespace after a delimiter is allowed.
  std::string msg =
      "Content-Type: multipart/mixed; boundary=a\n\n--a \nContent-Type: multipart/mixed; boundary=ab\n\n"
      "--ab\n\none\n--ab\n\ntwo\n--ab--\n--a--\n";
  EXPECT_EQ(bodystructure(msg, false),
            "(((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 0)"
            "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 0) \"mixed\") \"mixed\")");
}

TEST(MimeBodyStructure, DigestPartsDefaultToMessage) {
  std::string msg =
      "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nbody\n--d--\n";
  EXPECT_EQ(bodystructure(msg, false),
            "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 20 "
            "(NIL \"one\" NIL NIL NIL NIL NIL NIL NIL NIL) "
            "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 4 0) 2) \"digest\")");
}

TEST(MimeBodyStructure, EncodedMessageRfc822IsOpaque) {
  // message/rfc822 may only be 7bit, 8bit or binary (RFC 2046 5.2.1).
  EXPECT_EQ(bodystructure("Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeA==\n",
                          false),
            "(\"application\" \"octet-stream\" NIL NIL NIL \"base64\" 18)");
}

// Raw 8-bit: a literal; a text part without charset gets us-ascii last.
TEST(MimeBodyStructure, EightBitParameterIsALiteral) {
  std::string bs = bodystructure("Content-Type: text/plain; name=\"caf\xc3\xa9\"\n\nx", false);
  EXPECT_EQ(bs, "(\"text\" \"plain\" (\"name\" {5}\r\ncaf\xc3\xa9 \"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0)");
}

}  // namespace
}  // namespace tern::mime

namespace tern::mime {
namespace {

// Content-Type values of every kind: (header value, expected type, subtype
// and parameters). Case and duplicates as written, as Dovecot keeps them;
// nonsense is application/octet-stream (Dovecot sends "" "").
TEST(MimeBodyStructure, ContentTypeTable) {
  struct Case {
    const char* value;
    const char* expected;
  } cases[] = {
      {"garbage", "\"application\" \"octet-stream\" NIL"},
      {"/plain", "\"application\" \"octet-stream\" NIL"},
      {"text/", "\"application\" \"octet-stream\" NIL"},
      {"", "\"application\" \"octet-stream\" NIL"},
      {"TEXT/PLAIN; CHARSET=\"UTF-8\"", "\"TEXT\" \"PLAIN\" (\"CHARSET\" \"UTF-8\")"},
      {"text/plain; charset=utf-8; charset=latin1", "\"text\" \"plain\" (\"charset\" \"utf-8\" \"charset\" \"latin1\")"},
      {"text/plain (comment); format=flowed", "\"text\" \"plain\" (\"format\" \"flowed\" \"charset\" \"us-ascii\")"},
      {"application/x-foo; a=\"b;c\"; d='e'", "\"application\" \"x-foo\" (\"a\" \"b;c\" \"d\" \"'e'\")"},
  };
  for (const Case& c : cases) {
    std::string bs = bodystructure(std::string("Content-Type: ") + c.value + "\n\nx", false);
    EXPECT_EQ(bs.substr(1, std::string_view(c.expected).size()), c.expected) << c.value << " -> " << bs;
  }
}

}  // namespace
}  // namespace tern::mime
