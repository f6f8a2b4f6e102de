// crlf.h: the memchr-based LF to CRLF conversion against its byte-by-byte
// definition, on the edge cases (LF first, CR last, CR alone, CRLF kept).
#include "base/crlf.h"

#include <gtest/gtest.h>

#include <string>

TEST(Crlf, MatchesTheByteByByteRule) {
  auto slow = [](std::string_view b) {
    std::string out;
    for (size_t i = 0; i < b.size(); ++i) {
      if (b[i] == '\n' && (i == 0 || b[i - 1] != '\r')) out += '\r';
      out += b[i];
    }
    return out;
  };
  for (std::string_view in : {"", "\n", "\r\n", "\r", "a", "a\nb", "a\r\nb\n", "\n\n\r\n\r\r\n\n", "x\r", "\rx\n",
                              "no line end at all", "ends\n"}) {
    std::string out = "keep:";
    tern::crlf::append(out, in);
    EXPECT_EQ(out, "keep:" + slow(in)) << in;
    EXPECT_EQ(tern::crlf::bare_lf_count(in), slow(in).size() - in.size()) << in;
  }
  std::string big;
  for (int i = 0; i < 10000; ++i) big += (i % 3 ? "line\n" : "crlf\r\n");
  std::string out;
  tern::crlf::append(out, big);
  EXPECT_EQ(out, slow(big));
}
