// Next-hop parsing: a table of accepted forms with their canonical text,
// and of refused ones with a word of the reason; host name rules; IP text
// and reverse names; dns_resolver values.
#include <gtest/gtest.h>

#include "dns/hostname.h"
#include "dns/next_hop.h"
#include "dns/settings.h"

using namespace tern::dns;

TEST(NextHop, AcceptedForms) {
  struct Case {
    const char* in;
    NextHop::Kind kind;
    const char* canonical;
    int port;  // -1: none
  } cases[] = {
      {"example.com", NextHop::Kind::mx_domain, "example.com", -1},
      {"Example.COM.", NextHop::Kind::mx_domain, "example.com", -1},
      {"example.com:2525", NextHop::Kind::mx_domain, "example.com:2525", 2525},
      {"[mail.example.com]", NextHop::Kind::host, "[mail.example.com]", -1},
      {"[mail.example.com]:submission", NextHop::Kind::host, "[mail.example.com]:587", 587},
      {"[192.0.2.1]", NextHop::Kind::address, "[192.0.2.1]", -1},
      {"[192.0.2.1]:25", NextHop::Kind::address, "[192.0.2.1]:25", 25},
      {"[IPv6:2001:db8::1]", NextHop::Kind::address, "[IPv6:2001:db8::1]", -1},
      {"[ipv6:2001:DB8:0:0::1]:65535", NextHop::Kind::address, "[IPv6:2001:db8::1]:65535", 65535},
      {"[2001:db8::1]:lmtp", NextHop::Kind::address, "[IPv6:2001:db8::1]:24", 24},
      {"under_score.example", NextHop::Kind::mx_domain, "under_score.example", -1},
      {"localhost", NextHop::Kind::mx_domain, "localhost", -1},
  };
  for (auto& c : cases) {
    auto h = parse_next_hop(c.in);
    ASSERT_TRUE(h.ok()) << c.in << ": " << h.error().detail;
    EXPECT_EQ(h->kind, c.kind) << c.in;
    EXPECT_EQ(h->to_string(), c.canonical) << c.in;
    EXPECT_EQ(h->port ? *h->port : -1, c.port) << c.in;
    auto again = parse_next_hop(h->to_string());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *h) << c.in;
  }
}

TEST(NextHop, RefusedForms) {
  std::string long_label(64, 'a');
  std::string long_name;
  for (int i = 0; i < 5; ++i) long_name += std::string(50, 'b') + ".";
  long_name += "xyz";
  struct Case {
    std::string in;
    const char* why;
  } cases[] = {
      {"", "empty"},
      {"192.0.2.1", "brackets"},
      {"[192.0.2.1", "without ']'"},
      {"192.0.2.1]", "without '['"},
      {"[192.0.2.1]x", "only :port"},
      {"[192.0.2.1]:0", "port"},
      {"[192.0.2.1]:65536", "port"},
      {"example.com:", "port"},
      {"example.com:25x", "port"},
      {"[IPv6:192.0.2.1]", "IPv6"},
      {"[x-tag:content]", "address literal"},
      {"[]", "empty"},
      {"exa mple.com", "space"},
      {"ex\x01" "ample.com", "control"},
      {"b\xc3\xa4" "ckerei.de", "non-ASCII"},
      {"a..b", "empty label"},
      {"-a.example", "'-'"},
      {long_label + ".example", "63"},
      {long_name, "253"},
      {"ex!ample.com", "character"},
      {"12345", "numeric"},
      {std::string(400, 'a'), "300"},
  };
  for (auto& c : cases) {
    auto h = parse_next_hop(c.in);
    ASSERT_FALSE(h.ok()) << c.in;
    EXPECT_TRUE(h.error().is_permanent());
    EXPECT_EQ(h.error().dsn, "5.1.2");
    EXPECT_NE(h.error().detail.find(c.why), std::string::npos) << c.in << " -> " << h.error().detail;
  }
}

TEST(Hostname, Rules) {
  EXPECT_EQ(hostname_problem("mail.example.com."), "");
  EXPECT_EQ(hostname_problem("xn--bckerei-5wa.de"), "");
  EXPECT_NE(hostname_problem("."), "");
  EXPECT_NE(hostname_problem("192.0.2.1"), "");
  EXPECT_NE(hostname_problem("a\\.b.example"), "");  // dn_expand's escape of a dot inside a label
  EXPECT_NE(hostname_problem("mail.example.com-"), "");
  EXPECT_EQ(canonical_name("MAIL.Example.com."), "mail.example.com");
}

TEST(IpAddress, TextAndReverseNames) {
  auto v4 = parse_ip("127.0.0.5");
  ASSERT_TRUE(v4);
  EXPECT_EQ(reverse_name(*v4), "5.0.0.127.in-addr.arpa");
  auto v6 = parse_ip("2001:db8::1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->text(), "2001:db8::1");
  EXPECT_EQ(reverse_name(*v6), "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
  auto mapped = parse_ip("::ffff:192.0.2.7");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->unmapped(), *parse_ip("192.0.2.7"));
  EXPECT_FALSE(parse_ip("1.2.3"));
  EXPECT_FALSE(parse_ip("fe80::1%eth0"));
  EXPECT_FALSE(parse_ip(std::string(100, '1')));
}

TEST(Settings, ResolverAddress) {
  EXPECT_EQ(*parse_resolver_address(""), "");
  EXPECT_EQ(*parse_resolver_address("127.0.0.1:5353"), "127.0.0.1@5353");
  EXPECT_EQ(*parse_resolver_address("192.0.2.53"), "192.0.2.53@53");
  EXPECT_EQ(*parse_resolver_address("[::1]:53"), "::1@53");
  for (const char* bad : {"dns.example.com:53", "127.0.0.1:", "127.0.0.1:99999", "[::1", "[::1]x", "::1:53",
                          "127.0.0.1:5x"}) {
    auto r = parse_resolver_address(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().detail.find("such as 127.0.0.1:53"), std::string::npos) << r.error().detail;
  }
}

TEST(Settings, BadResolverNamesFileAndLine) {
  auto loaded = tern::config::load_string("myhostname = a.example\ndns_resolver = 127.0.0.1:port\n", "main.cf");
  ASSERT_TRUE(loaded.ok());
  auto o = resolver_options(*loaded.config);
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.error().detail.find("main.cf:2: dns_resolver = "), std::string::npos) << o.error().detail;
  auto bad_pref = tern::config::load_string("smtp_address_preference = ipv5\n", "main.cf");
  EXPECT_FALSE(bad_pref.ok());
}
