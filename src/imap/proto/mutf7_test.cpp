// Tests of modified UTF-7 (RFC 3501 5.1.3): the RFC's examples, round
// trips, and every non-canonical form the decoder must refuse.
#include "imap/proto/mutf7.h"

#include <gtest/gtest.h>

using namespace tern::imap;

namespace {

TEST(Mutf7, Encode) {
  struct Case {
    const char* utf8;
    const char* mutf7;
  } cases[] = {
      {"INBOX", "INBOX"},
      {"a&b", "a&-b"},
      {"&", "&-"},
      {"~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
      {"Entw\xc3\xbc" "rfe", "Entw&APw-rfe"},
      {"\xf0\x9f\x98\x80", "&2D3eAA-"},
      {"caf\xc3\xa9 \xc3\xa9t\xc3\xa9", "caf&AOk- &AOk-t&AOk-"},
      {"\t", "&AAk-"},
      {"", ""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(mutf7_encode(c.utf8).value_or("invalid"), c.mutf7) << c.utf8;
    EXPECT_EQ(mutf7_decode(c.mutf7).value_or("invalid"), c.utf8) << c.mutf7;
  }
  EXPECT_FALSE(mutf7_encode("\xff"));
  EXPECT_FALSE(mutf7_encode("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(mutf7_encode("\xed\xa0\x80"));      // a surrogate in UTF-8
  EXPECT_FALSE(mutf7_encode("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(mutf7_encode("\xe5\x8f"));          // truncated
}

TEST(Mutf7, DecodeRefusesNonCanonical) {
  const char* bad[] = {
      "&AGE",         // unterminated (RELIABILITY.md #12)
      "&AGE-",        // "a" encoded: must be direct
      "&ACY-",        // "&" encoded: must be "&-"
      "&AOk-&AOk-",   // two runs where one would do
      "&AOl-",        // padding bits set
      "&AOkA-",       // six leftover bits
      "&2D0-",        // lone high surrogate
      "&3gA-",        // lone low surrogate
      "&2D3YPQ-",     // high surrogate followed by high surrogate
      "&U/BTFw-",     // '/' is not in the modified alphabet
      "&A=k-",        // not base64
      "caf\xc3\xa9",  // raw 8-bit
      "a\tb",         // raw control character
      "&",
      "&-&",
  };
  for (const char* b : bad) EXPECT_FALSE(mutf7_decode(b)) << b;
  EXPECT_EQ(mutf7_decode("&AOk-&-").value_or("invalid"), "\xc3\xa9&");
  EXPECT_EQ(mutf7_decode("a&-b").value_or("invalid"), "a&b");
  EXPECT_TRUE(valid_utf8("caf\xc3\xa9"));
  EXPECT_FALSE(valid_utf8("caf\xe9"));
}

TEST(Mutf7, RoundTripEveryBmpCodePoint) {
  for (uint32_t cp = 1; cp < 0x10000; ++cp) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    std::string u;
    if (cp < 0x80) u += static_cast<char>(cp);
    else if (cp < 0x800) u += {static_cast<char>(0xc0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3f))};
    else u += {static_cast<char>(0xe0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3f)),
               static_cast<char>(0x80 | (cp & 0x3f))};
    std::string s = "x" + u + u + "y";
    auto enc = mutf7_encode(s);
    ASSERT_TRUE(enc) << cp;
    ASSERT_EQ(mutf7_decode(*enc).value_or("invalid"), s) << cp;
  }
}

}  // namespace
