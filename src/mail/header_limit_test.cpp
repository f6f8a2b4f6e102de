// Tests for HeaderLimiter: where the header section ends, the two limits,
// and that chunking never changes the verdict (RELIABILITY.md #23).
#include <gtest/gtest.h>

#include <string>

#include "mail/header_limit.h"
#include "mail/headers.h"

using tern::mail::HeaderLimiter;
using V = HeaderLimiter::Verdict;

namespace {

HeaderLimiter run(std::string_view content, uint64_t max_bytes, uint64_t max_lines, size_t chunk = 0) {
  HeaderLimiter h(max_bytes, max_lines);
  if (chunk == 0) chunk = content.size() + 1;
  for (size_t i = 0; i < content.size(); i += chunk) h.feed(content.substr(i, chunk));
  return h;
}

}  // namespace

TEST(HeaderLimiter, Table) {
  struct Case {
    const char* label;
    std::string content;
    uint64_t max_bytes, max_lines;
    V verdict;
    uint64_t bytes, lines;
  };
  const Case cases[] = {
      {"simple", "Subject: x\n\nbody\n", 100, 10, V::within, 11, 1},
      {"crlf", "Subject: x\r\n\r\nbody\r\n", 100, 10, V::within, 12, 1},
      {"folded", "To: a,\n b,\n\tc\nCc: d\n\nx\n", 100, 10, V::within, 20, 4},
      {"no header", "just a body line\nSubject: no\n", 100, 10, V::within, 0, 0},
      {"continuation first", " x: y\n", 100, 10, V::within, 0, 0},
      {"non-field ends it", "A: 1\nnot a field\nB: 2\n", 100, 10, V::within, 5, 1},
      {"colon first", ":x\n", 100, 10, V::within, 0, 0},
      {"no final newline", "A: 1\nB: 2", 100, 10, V::reading, 9, 2},
      {"lines at limit", "A: 1\nB: 2\nC: 3\n\n", 100, 3, V::within, 15, 3},
      {"lines over limit", "A: 1\nB: 2\nC: 3\nD: 4\n\n", 100, 3, V::too_many_lines, 15, 4},
      {"continuations count", "A: 1\n 2\n 3\n 4\n\n", 100, 3, V::too_many_lines, 11, 4},
      {"bytes at limit", "A: 1\nB: 2\n\n", 10, 10, V::within, 10, 2},
      {"bytes over limit", "A: 1\nB: 23\n\n", 10, 10, V::too_big, 11, 2},
      {"long name over limit", "Xxxxxxxxxxxxxxx: 1\n\n", 10, 10, V::too_big, 17, 1},
      {"long non-field line", std::string(5000, 'x') + "\n\n", 10, 10, V::within, 0, 0},
      {"long body line", "A: 1\n\n" + std::string(5000, 'x'), 10, 10, V::within, 5, 1},
  };
  for (auto& c : cases) {
    for (size_t chunk : {size_t{0}, size_t{1}, size_t{2}, size_t{7}}) {
      auto h = run(c.content, c.max_bytes, c.max_lines, chunk);
      EXPECT_EQ(h.verdict(), c.verdict) << c.label << " chunk " << chunk;
      if (c.verdict != V::too_big && c.verdict != V::too_many_lines) {
        EXPECT_EQ(h.bytes(), c.bytes) << c.label << " chunk " << chunk;
      }
      EXPECT_EQ(h.lines(), c.lines) << c.label << " chunk " << chunk;
      EXPECT_EQ(h.over(), c.verdict == V::too_big || c.verdict == V::too_many_lines) << c.label;
    }
  }
}

TEST(HeaderLimiter, ZeroMeansNoLimit) {
  std::string many;
  for (int i = 0; i < 5000; ++i) many += "To: a@b\n";
  auto h = run(many + "\n", 0, 0);
  EXPECT_EQ(h.verdict(), V::within);
  EXPECT_EQ(h.lines(), 5000u);
}

TEST(HeaderLimiter, AgreesWithTheHeaderParser) {
  const char* contents[] = {"A: 1\n 2\nB: 3\n\nbody", "A: 1\r\nB\r\n", "A: 1\n\r\n", "A: 1\n\rx: 2\n",
                            "A: 1\nB: 2"};
  for (const char* c : contents) {
    auto sec = tern::mail::parse_header_section(c);
    uint64_t end = sec.fields.empty() ? 0 : sec.fields.back().end;
    EXPECT_EQ(run(c, 1000, 1000).bytes(), end) << c;
  }
}

TEST(HeaderLimiter, HeaderBombsStopEarly) {
  // 200,000 To: lines: the verdict comes at line 1,001 and the rest is not looked at.
  std::string many;
  for (int i = 0; i < 200000; ++i) many += "To: a@b\n";
  HeaderLimiter h;
  for (size_t i = 0; i < many.size(); i += 65536) h.feed(std::string_view(many).substr(i, 65536));
  EXPECT_EQ(h.verdict(), V::too_many_lines);
  EXPECT_EQ(h.lines(), HeaderLimiter::kDefaultLines + 1);
  // One 20 MB folded header: over the byte limit within the first chunks.
  std::string folded = "X-Big: start\n";
  while (folded.size() < 20u << 20) folded += " continued continued continued continued continued\n";
  HeaderLimiter f(HeaderLimiter::kDefaultBytes, 1u << 30);
  size_t fed = 0;
  for (; fed < folded.size() && !f.over(); fed += 65536) f.feed(std::string_view(folded).substr(fed, 65536));
  EXPECT_EQ(f.verdict(), V::too_big);
  EXPECT_LE(fed, HeaderLimiter::kDefaultBytes + 65536);
}
