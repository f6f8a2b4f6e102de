// Tests for the string helpers: the log and header escapes that keep one
// event on one line (RELIABILITY.md #18, #19).
#include <gtest/gtest.h>

#include <string>

#include "base/strings.h"

using namespace tern;

TEST(EscapeLog, Table) {
  using namespace std::string_literals;
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"from=<a@b>, size=1", "from=<a@b>, size=1"},
      {"a\r\nb", "a\\x0d\\x0ab"},
      {"nul\0x"s, "nul\\x00x"},
      {"tab\tdel\x7f", "tab\\x09del\\x7f"},
      {"back\\slash", "back\\\\slash"},
      {"\\x0a", "\\\\x0a"},                               // a literal escape cannot pass for one
      {"j\xc3\xbcrgen@m\xc3\xbcller.example", "j\xc3\xbcrgen@m\xc3\xbcller.example"},  // UTF-8 kept
      {"\xe2\x82\xac \xf0\x9f\x93\xa7", "\xe2\x82\xac \xf0\x9f\x93\xa7"},
      {"latin1 \xfc!", "latin1 \\xfc!"},                   // invalid UTF-8
      {"\xc0\x8a", "\\xc0\\x8a"},                          // overlong LF
      {"\xe0\x80\x8a", "\\xe0\\x80\\x8a"},                 // overlong LF, 3 bytes
      {"\xed\xa0\x80", "\\xed\\xa0\\x80"},                 // surrogate
      {"\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"},        // above U+10FFFF
      {"cut \xe2\x82", "cut \\xe2\\x82"},                  // truncated sequence
      {"nel\xc2\x85", "nel\\xc2\\x85"},                    // C1 NEL
      {"ls\xe2\x80\xa8", "ls\\xe2\\x80\\xa8"},             // U+2028 LINE SEPARATOR
      {"", ""},
  };
  for (auto& c : cases) EXPECT_EQ(str::escape_log(c.in), c.out) << c.in;
}

TEST(EscapeLog, NeverLeavesAControlByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  std::string out = str::escape_log(all + all);
  for (unsigned char c : out) EXPECT_TRUE(c >= 0x20 && c != 0x7f) << int(c);
}

TEST(EscapeControls, KeepsEverythingButControls) {
  EXPECT_EQ(str::escape_controls("a@b.example"), "a@b.example");
  EXPECT_EQ(str::escape_controls("a\r\nX-Evil: 1@b"), "a\\x0d\\x0aX-Evil: 1@b");
  EXPECT_EQ(str::escape_controls("\"a\\b\"@x \xc3\xbc"), "\"a\\b\"@x \xc3\xbc");
}
