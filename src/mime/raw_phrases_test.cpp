// RawPhrases: the display names of an address list as written.
#include <gtest/gtest.h>

#include "mime/raw_phrases.h"

namespace tern::mime {
namespace {

TEST(MimeRawPhrases, FindsPhrasesByAddressInOrder) {
  RawPhrases p(
      "=?utf-8?q?A?= <a@x>, \"Quoted, \\\"Name\\\"\" <q@x>, (c, <no@x>) plain@x, G: J\xc3\xb6rg <j@x>;, "
      "\"two\" \"words\" <w@x>, <bare@x>, Again <a@x>");
  EXPECT_EQ(p.take("a@x"), "=?utf-8?q?A?=");
  EXPECT_EQ(p.take("q@x"), "Quoted, \"Name\"");
  EXPECT_EQ(p.take("no@x"), std::nullopt);  // inside a comment
  EXPECT_EQ(p.take("j@x"), "J\xc3\xb6rg");  // after a group's colon
  EXPECT_EQ(p.take("w@x"), "\"two\" \"words\"");
  EXPECT_EQ(p.take("bare@x"), std::nullopt);  // no phrase
  EXPECT_EQ(p.take("a@x"), "Again");          // the second a@x, in order
  EXPECT_EQ(p.take("a@x"), std::nullopt);
}

TEST(MimeRawPhrases, UnclosedThingsEndTheList) {
  EXPECT_EQ(RawPhrases("A <a@x").take("a@x"), std::nullopt);
  EXPECT_EQ(RawPhrases("\"A <a@x>").take("a@x"), std::nullopt);
  EXPECT_EQ(RawPhrases("(A <a@x>").take("a@x"), std::nullopt);
  EXPECT_EQ(RawPhrases("B \\").take("b"), std::nullopt);
}

}  // namespace
}  // namespace tern::mime
