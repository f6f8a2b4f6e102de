// Tests for IpAddress / Cidr (cidr.cpp) and the cidr: table (cidr_table.cpp).
#include <gtest/gtest.h>

#include "maps/cidr.h"
#include "maps/maps_test_util.h"
#include "maps/table.h"

namespace tern::maps {
namespace {

TEST(IpAddress, Parse) {
  struct Case {
    const char* in;
    const char* want;  // to_string(), or nullptr when refused
    bool v6 = false;
  };
  const Case cases[] = {
      {"192.0.2.1", "192.0.2.1"},
      {"0.0.0.0", "0.0.0.0"},
      {"255.255.255.255", "255.255.255.255"},
      {"[192.0.2.1]", "192.0.2.1"},
      {"::1", "::1", true},
      {"[::1]", "::1", true},
      {"[IPv6:2001:db8::1]", "2001:db8::1", true},
      {"[ipv6:2001:DB8::1]", "2001:db8::1", true},
      {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1", true},
      {"::ffff:192.0.2.1", "192.0.2.1", false},  // v4-mapped becomes v4
      {"[::ffff:c000:201]", "192.0.2.1", false},
      {"::192.0.2.1", "::192.0.2.1", true},  // v4-compatible stays v6
      {"010.0.0.1", nullptr},
      {"1.2.3.04", nullptr},
      {"256.0.0.1", nullptr},
      {"1.2.3", nullptr},
      {"1.2.3.4.5", nullptr},
      {"1.2.3.4.", nullptr},
      {".1.2.3.4", nullptr},
      {"1..3.4", nullptr},
      {"1.2.3.4 ", nullptr},
      {" 1.2.3.4", nullptr},
      {"1.2.3.a", nullptr},
      {"1234.1.1.1", nullptr},
      {"0x1.2.3.4", nullptr},
      {"", nullptr},
      {"[]", nullptr},
      {"[1.2.3.4", nullptr},
      {"[IPv6:1.2.3.4]", nullptr},
      {"::1%eth0", nullptr},
      {"1::2::3", nullptr},
      {"12345::", nullptr},
      {"localhost", nullptr},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    auto a = IpAddress::parse(c.in);
    if (!c.want) {
      EXPECT_FALSE(a.has_value());
      continue;
    }
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->to_string(), c.want);
    EXPECT_EQ(a->v6, c.v6);
    EXPECT_EQ(IpAddress::parse(a->to_string()), a);  // round trip
  }
}

TEST(Cidr, ParseAndContains) {
  struct Case {
    const char* net;
    const char* addr;
    bool want;
  };
  const Case cases[] = {
      {"127.0.0.0/8", "127.1.2.3", true},
      {"127.0.0.0/8", "128.0.0.1", false},
      {"192.168.1.5", "192.168.1.5", true},  // bare address is /32
      {"192.168.1.5", "192.168.1.6", false},
      {"192.168.1.5/32", "192.168.1.5", true},
      {"192.168.1.5/32", "192.168.1.4", false},
      {"10.0.0.0/7", "11.255.255.255", true},
      {"10.0.0.0/7", "12.0.0.0", false},
      {"192.0.2.128/25", "192.0.2.200", true},
      {"192.0.2.128/25", "192.0.2.127", false},
      {"0.0.0.0/0", "203.0.113.9", true},
      {"0.0.0.0/0", "::1", false},  // families never mix
      {"::/0", "2001:db8::1", true},
      {"::/0", "10.0.0.1", false},
      {"::1/128", "::1", true},
      {"[::1]/128", "[::1]", true},
      {"[::1]", "::2", false},
      {"2001:db8::/32", "2001:db8:ffff::1", true},
      {"2001:db8::/32", "2001:db9::1", false},
      {"2001:db8::/33", "2001:db8:7fff::1", true},
      {"2001:db8::/33", "2001:db8:8000::1", false},
      {"10.0.0.0/8", "::ffff:10.1.2.3", true},  // mapped client matches v4 network
      {"::ffff:10.0.0.0/104", "10.9.9.9", true},  // mapped network becomes 10.0.0.0/8
      {"::ffff:10.0.0.0/104", "11.0.0.1", false},
      {"10.0.0.0/8", "not-an-address", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.net) + " " + c.addr);
    auto n = Cidr::parse(c.net);
    ASSERT_TRUE(n.has_value());
    auto a = IpAddress::parse(c.addr);
    EXPECT_EQ(a.has_value() && n->contains(*a), c.want);
  }
}

TEST(Cidr, Refused) {
  struct Case {
    const char* in;
    const char* why;
  };
  const Case cases[] = {
      {"10.1.2.3/8", "host bits set in '10.1.2.3/8' (did you mean '10.0.0.0/8'?)"},
      {"2001:db8::1/32", "did you mean '2001:db8::/32'?"},
      {"10.0.0.0/33", "prefix length 33 too large"},
      {"::/129", "prefix length 129 too large"},
      {"10.0.0.0/", "bad prefix length"},
      {"10.0.0.0/-1", "bad prefix length"},
      {"10.0.0.0/+8", "bad prefix length"},
      {"10.0.0.0/0008", "bad prefix length"},
      {"10.0.0.0/8/8", "bad network address"},
      {"/8", "bad network address"},
      {"010.0.0.0/8", "bad network address"},
      {"[::1/128]", "bad network address"},
      {"", "bad network address"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_FALSE(Cidr::parse(c.in).has_value());
    auto r = Cidr::parse_checked(c.in);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().detail.find(c.why), std::string::npos) << r.error().detail;
  }
  EXPECT_EQ(Cidr::parse("::ffff:10.0.0.0/104")->to_string(), "10.0.0.0/8");
  EXPECT_EQ(Cidr::parse("0.0.0.0/0")->to_string(), "0.0.0.0/0");
}

TEST(CidrTable, FirstMatchWins) {
  testing::TempDir d;
  std::string p = d.write("access",
                          "# specific first\n"
                          "192.168.1.66/32 REJECT\n"
                          "192.168.0.0/16  OK\n"
                          "[2001:db8::]/32 DUNNO\n"
                          "::1 OK local\n"
                          "0.0.0.0/0\n  REJECT everyone else\n");
  auto t = open_table("cidr:" + p);
  ASSERT_TRUE(t.ok()) << t.error().detail;
  struct Case {
    const char* key;
    Status status;
    const char* value;
  };
  const Case cases[] = {
      {"192.168.1.66", Status::found, "REJECT"},
      {"192.168.1.67", Status::found, "OK"},
      {"::ffff:192.168.7.7", Status::found, "OK"},
      {"2001:db8::25", Status::found, "DUNNO"},
      {"[::1]", Status::found, "OK local"},
      {"8.8.8.8", Status::found, "REJECT everyone else"},
      {"2001:db9::1", Status::not_found, ""},
      {"mail.example.com", Status::not_found, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.key);
    auto r = (*t)->lookup(c.key);
    EXPECT_EQ(r.status, c.status);
    EXPECT_EQ(r.value, c.value);
  }
}

TEST(CidrTable, Errors) {
  testing::TempDir d;
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"10.0.0.0/8 OK\n10.1.0.0/8 REJECT\n", ":2: host bits set in '10.1.0.0/8'"},
      {"bogus OK\n", ":1: bad network address in 'bogus'"},
      {"10.0.0.0/8\n", ":1: missing value for '10.0.0.0/8'"},
      {"!10.0.0.0/8 OK\n", ":1: negated patterns"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    std::string p = d.write("t", c.text);
    auto t = open_table("cidr:" + p);
    ASSERT_FALSE(t.ok());
    EXPECT_TRUE(t.error().is_permanent());
    EXPECT_NE(t.error().detail.find(p + c.error), std::string::npos) << t.error().detail;
  }
  auto missing = open_table("cidr:" + d.path() + "/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.error().is_temporary());
}

}  // namespace
}  // namespace tern::maps
