// Unit tests of the TLS settings parser and the SNI name check: a table of
// labelled cases (protocols.h, server_context.h).
#include <gtest/gtest.h>

#include "tls/protocols.h"
#include "tls/server_context.h"

namespace tern::tls {
namespace {

TEST(TlsProtocols, Table) {
  struct Case {
    const char* value;
    bool ok;
    Version min, max;
    size_t warnings;
  } cases[] = {
      {">=TLSv1.2", true, Version::tlsv1_2, Version::tlsv1_3, 0},
      {"", true, Version::tlsv1_2, Version::tlsv1_3, 0},
      {"!SSLv2, !SSLv3", true, Version::tlsv1_2, Version::tlsv1_3, 0},
      {"!SSLv2, !SSLv3, !TLSv1, !TLSv1.1", true, Version::tlsv1_2, Version::tlsv1_3, 0},
      {"TLSv1.3", true, Version::tlsv1_3, Version::tlsv1_3, 0},
      {"!TLSv1.3", true, Version::tlsv1_2, Version::tlsv1_2, 0},
      {"<=TLSv1.2", true, Version::tlsv1_2, Version::tlsv1_2, 0},
      {">=TLSv1", true, Version::tlsv1_2, Version::tlsv1_3, 2},
      {"TLSv1 TLSv1.2", true, Version::tlsv1_2, Version::tlsv1_2, 1},
      {"tlsv1.2,tlsv1.3", true, Version::tlsv1_2, Version::tlsv1_3, 0},
      {"!TLSv1.2, !TLSv1.3", false, {}, {}, 0},
      {"<=TLSv1.1", false, {}, {}, 0},
      {"TLSv1.4", false, {}, {}, 0},
      {">=", false, {}, {}, 0},
      {"!", false, {}, {}, 0},
  };
  for (const auto& c : cases) {
    auto r = parse_protocols(c.value);
    ASSERT_EQ(r.ok(), c.ok) << c.value;
    if (!r) {
      EXPECT_NE(r.error().detail.find("write"), std::string::npos) << c.value << ": the fix is named";
      continue;
    }
    EXPECT_EQ(r->min, c.min) << c.value;
    EXPECT_EQ(r->max, c.max) << c.value;
    EXPECT_EQ(r->warnings.size(), c.warnings) << c.value;
  }
}

TEST(TlsSni, DnsNames) {
  EXPECT_TRUE(is_dns_name("mx.example.com"));
  EXPECT_TRUE(is_dns_name("a-b.Example"));
  EXPECT_FALSE(is_dns_name(""));
  EXPECT_FALSE(is_dns_name("a..b"));
  EXPECT_FALSE(is_dns_name(".a"));
  EXPECT_FALSE(is_dns_name("a."));
  EXPECT_FALSE(is_dns_name("mx.example.com\\"));  // RELIABILITY.md #18 (CVE-2019-15846)
  EXPECT_FALSE(is_dns_name("mx\nexample"));
  EXPECT_FALSE(is_dns_name(std::string(64, 'a') + ".com"));
  EXPECT_FALSE(is_dns_name(std::string(254, 'a')));
}

}  // namespace
}  // namespace tern::tls
