// The content's wire forms: LF and CRLF line ends both become CRLF, a last
// line without one gets it, a lone CR and 8-bit bytes pass as they are,
// leading dots are doubled only for DATA, and wire_size is the length of
// the BDAT form. Checked against a plain reference on edge cases and on
// random bytes, since the sending code fills the buffer by hand.
#include "smtp/client/content.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace tern::smtp::client {
namespace {

// The rules of content.h, written the slow and obvious way.
std::string reference(std::string_view in, bool dot_stuff) {
  std::string out, line;
  auto flush = [&] {
    if (dot_stuff && !line.empty() && line[0] == '.') out += '.';
    out += line + "\r\n";
    line.clear();
  };
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\n') {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      flush();
    } else {
      line += in[i];
    }
  }
  if (!line.empty()) flush();
  if (dot_stuff) out += ".\r\n";
  return out;
}

TEST(WireForm, LineEndsDotsAndTheLastLine) {
  EXPECT_EQ(wire_form("a\nb\n", false), "a\r\nb\r\n");
  EXPECT_EQ(wire_form("a\r\nb", false), "a\r\nb\r\n");
  EXPECT_EQ(wire_form(".x\n..\n.\nok\n", true), "..x\r\n...\r\n..\r\nok\r\n.\r\n");
  EXPECT_EQ(wire_form(".x\n", false), ".x\r\n");
  EXPECT_EQ(wire_form("", true), ".\r\n");
  EXPECT_EQ(wire_form("", false), "");
  EXPECT_EQ(wire_form("\n\n", true), "\r\n\r\n.\r\n");
  EXPECT_EQ(wire_form("a\rb\n\xff\r", false), "a\rb\r\n\xff\r\r\n");  // only CR before LF is a line end
  EXPECT_EQ(wire_size("a\nb"), 6u);
}

TEST(WireForm, MatchesTheReferenceOnRandomBytes) {
  std::mt19937 rng(7);
  const char alphabet[] = {'a', '.', '\n', '\r', '\xe9', ' '};
  for (int round = 0; round < 2000; ++round) {
    std::string in(rng() % 200, ' ');
    for (char& c : in) c = alphabet[rng() % sizeof alphabet];
    for (bool dots : {false, true}) {
      ASSERT_EQ(wire_form(in, dots), reference(in, dots)) << round;
    }
    ASSERT_EQ(wire_size(in), reference(in, false).size()) << round;
  }
}

}  // namespace
}  // namespace tern::smtp::client
