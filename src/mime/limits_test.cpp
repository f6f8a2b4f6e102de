// RELIABILITY.md #24: deep, wide and parameter-heavy messages are cut at
// the limits of limits.h, answered, and cost no stack beyond max_depth.
#include <gtest/gtest.h>

#include <string>

#include "mime/limits.h"
#include "mime/message.h"

namespace tern::mime {
namespace {

size_t count(std::string_view s, std::string_view what) {
  size_t n = 0;
  for (size_t pos = 0; (pos = s.find(what, pos)) != std::string_view::npos; pos += what.size()) ++n;
  return n;
}

// levels multiparts nested in one another, text "leaf" at the bottom.
std::string nested_multiparts(size_t levels) {
  std::string head, tail;
  for (size_t i = 0; i < levels; ++i) {
    std::string b = "b" + std::to_string(i);
    head += "Content-Type: multipart/mixed; boundary=" + b + "\n\n--" + b + "\n";
    tail = "\n--" + b + "--\n" + tail;
  }
  return head + "Content-Type: text/plain\n\nleaf" + tail;
}

TEST(MimeLimits, NestingAtTheLimitIsKept) {
  Message m(nested_multiparts(max_depth));
  EXPECT_FALSE(m.tree().cut);
  EXPECT_EQ(count(m.body_structure(false), "\"text\" \"plain\""), 1u);
  imap::Section s;
  s.part.assign(max_depth, 1);
  EXPECT_EQ(m.section(s), "leaf");
}

TEST(MimeLimits, DeeperNestingIsCut) {
  Message m(nested_multiparts(max_depth + 1));
  EXPECT_TRUE(m.tree().cut);
  std::string bs = m.body_structure(true);
  EXPECT_EQ(count(bs, "\"text\" \"plain\""), 0u);
  EXPECT_EQ(count(bs, "\"application\" \"octet-stream\""), 1u);
  imap::Section s;
  s.part.assign(max_depth, 1);
  ASSERT_TRUE(m.section(s));  // the cut part itself, as one opaque body
  s.part.push_back(1);
  EXPECT_FALSE(m.section(s));
}

TEST(MimeLimits, HugeNestingOfMessagesDoesNotRecurse) {
  std::string msg;
  for (int i = 0; i < 200000; ++i) msg += "Content-Type: message/rfc822\n\n";
  Message m(msg + "Subject: bottom\n\nx\n");
  EXPECT_TRUE(m.tree().cut);
  std::string bs = m.body_structure(true);
  EXPECT_EQ(count(bs, "\"message\" \"rfc822\""), max_depth);
  EXPECT_FALSE(m.envelope().empty());
}

TEST(MimeLimits, WideMultipartIsCutAtMaxParts) {
  std::string msg = "Content-Type: multipart/mixed; boundary=w\n\n";
  for (int i = 0; i < 20000; ++i) msg += "--w\n\np\n";
  msg += "--w--\n";
  Message m(msg);
  EXPECT_TRUE(m.tree().cut);
  EXPECT_LE(m.tree().entities, max_parts);
  EXPECT_EQ(m.tree().root.children.size(), max_parts - 1);
  std::string body = m.body_structure(false);
  EXPECT_EQ(count(body, "(\"text\" \"plain\""), max_parts - 1);
  imap::Section s;
  s.part = {static_cast<uint32_t>(max_parts - 1)};
  EXPECT_EQ(m.section(s), "p");
  s.part = {static_cast<uint32_t>(max_parts)};
  EXPECT_FALSE(m.section(s));
}

TEST(MimeLimits, ManyParametersAreBounded) {
  std::string ct = "Content-Type: text/plain; charset=utf-8";
  for (int i = 0; i < 100000; ++i) ct += "; p*" + std::to_string(i) + "=v";
  std::string bs = bodystructure(ct + "\n\nx\n", true);
  EXPECT_NE(bs.find("\"charset\" \"utf-8\""), std::string::npos);
  EXPECT_LT(bs.size(), 4000u);
  std::string many = "Content-Type: text/plain";
  for (int i = 0; i < 100000; ++i) many += "; a" + std::to_string(i) + "=v";
  EXPECT_LE(count(bodystructure(many + "\n\nx\n", false), "\"v\""), max_params);
}

TEST(MimeLimits, LongBoundaryMakesAnOpaqueLeaf) {
  std::string b(3000, 'b');
  Message m("Content-Type: multipart/mixed; boundary=" + b + "\n\n--" + b + "\n\nx\n--" + b + "--\n");
  EXPECT_EQ(m.body_structure(false).rfind("(\"application\" \"octet-stream\"", 0), 0u);
}

}  // namespace
}  // namespace tern::mime
