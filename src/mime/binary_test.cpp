// BINARY[part]: transfer encodings undone, unknown ones refused.
#include <gtest/gtest.h>

#include "mime/message.h"
#include "mime/test_messages.h"

namespace tern::mime {
namespace {

TEST(MimeBinary, DecodesBase64AndQuotedPrintable) {
  Message m(
      "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Transfer-Encoding: base64\n\naGVs\nbG8=\n"
      "--b\nContent-Transfer-Encoding: Quoted-Printable\n\ncaf=C3=A9 soft=\nbreak\n--b\n"
      "Content-Transfer-Encoding: x-uuencode\n\nbegin 644 a\n--b\n\nplain\n--b--\n");
  Binary b64 = m.binary({1});
  EXPECT_EQ(b64.status, Binary::Status::ok);
  EXPECT_EQ(b64.bytes, "hello");
  EXPECT_EQ(m.binary({2}).bytes, "caf\xc3\xa9 softbreak");
  EXPECT_EQ(m.binary({3}).status, Binary::Status::unknown_cte);
  EXPECT_EQ(m.binary({4}).bytes, "plain");
  EXPECT_EQ(m.binary({5}).status, Binary::Status::no_part);
  EXPECT_EQ(m.binary({}).bytes, m.crlf());
}

TEST(MimeBinary, MessagePartIsItsBytes) {
  Message m(test::mixed);
  EXPECT_EQ(m.binary({3}).bytes, "From: inner@example.com\r\nSubject: inner\r\nContent-Type: text/plain\r\n\r\ninner body");
  EXPECT_EQ(m.binary({2}).bytes, "%PDF-");
  EXPECT_EQ(m.binary({1, 2}).bytes, "<p>html</p>");
}

TEST(MimeBinary, BrokenBase64DoesNotOverflow) {
  std::string junk(10000, '=');
  junk += "!!!@@@\x80\xff";
  Binary b = Message("Content-Transfer-Encoding: base64\n\n" + junk).binary({1});
  EXPECT_EQ(b.status, Binary::Status::ok);
  EXPECT_LE(b.bytes.size(), junk.size());
}

}  // namespace
}  // namespace tern::mime
