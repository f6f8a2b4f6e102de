// Tests for the mail value types: envelope address parsing and printing,
// extensions, header sections and address lists.
#include <gtest/gtest.h>

#include "mail/address.h"
#include "mail/headers.h"

using namespace tern::mail;

TEST(Address, ParseAndPrint) {
  PathOptions po;
  struct Case {
    const char* in;
    bool ok;
    const char* printed;
  };
  const Case cases[] = {
      {"<a@b.example>", true, "a@b.example"},
      {"<\"a b\"@x>", true, "\"a b\"@x"},
      {"<a.b@x.>", true, "a.b@x."},
      {"<@r1,@r2:u@d>", true, "u@d"},
      {"<a@b@c>", false, ""},
      {"<a@[192.0.2.1]>", true, "a@[192.0.2.1]"},
      {"<a@-->", true, "a@--"},
      {"<.a@b>", false, ""},
      {"<a@b..c>", false, ""},
      {"a@b", false, ""},
      {"<>", false, ""},
  };
  for (auto& c : cases) {
    auto r = parse_path(c.in, po);
    EXPECT_EQ(r.ok(), c.ok) << c.in;
    if (r && c.ok) {
      EXPECT_EQ(r->str(), c.printed) << c.in;
    }
  }
  po.allow_null = true;
  EXPECT_TRUE(parse_path("<>", po)->is_null());
}

TEST(Address, Extension) {
  auto p = split_extension("user+tag+more", "+");
  EXPECT_EQ(p.user, "user");
  EXPECT_EQ(p.extension, "tag+more");
  EXPECT_EQ(split_extension("+x", "+").user, "+x");
  EXPECT_EQ(split_extension("a-b", "+-").extension, "b");
  EXPECT_EQ(split_extension("a+b", "").user, "a+b");
}

TEST(Headers, Section) {
  std::string m = "To: a@x,\n b@y\nSubject: hi\nX-Empty:\n\nbody\nTo: not@header\n";
  auto h = parse_header_section(m);
  ASSERT_EQ(h.fields.size(), 3u);
  EXPECT_EQ(h.fields[0].name, "To");
  EXPECT_EQ(h.fields[0].value, "a@x, b@y");
  EXPECT_EQ(m.substr(h.body_offset), "body\nTo: not@header\n");
  EXPECT_EQ(m.substr(h.fields[0].begin, h.fields[0].end - h.fields[0].begin), "To: a@x,\n b@y\n");
  auto nobody = parse_header_section("no colon here\nmore\n");
  EXPECT_TRUE(nobody.fields.empty());
  EXPECT_EQ(nobody.body_offset, 0u);
}

TEST(Headers, AddressList) {
  auto v = extract_addresses("A <a@x>, b@y (c, d), \"q, r\" <c@z>, group: d@w, e@v;");
  std::vector<std::string> want{"a@x", "b@y", "c@z", "d@w", "e@v"};
  EXPECT_EQ(v, want);
}

TEST(Headers, CountReceivedOnlyInTheHeaderSection) {
  EXPECT_EQ(tern::mail::count_received("Received: a\nreceived: b\n\tfolded\nSubject: x\n\nReceived: c\n"), 2);
  EXPECT_EQ(tern::mail::count_received("\nReceived: a\n"), 0);
  EXPECT_EQ(tern::mail::count_received("Received: no newline"), 1);
}
