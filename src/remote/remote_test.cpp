// Tests for the remote module's pure parts: transport values and the
// choice of transport and next hop per recipient.
#include <gtest/gtest.h>

#include "remote/transport.h"

using namespace tern;
using namespace tern::remote;

namespace {

std::shared_ptr<const config::Config> cfg(const std::string& text) {
  auto r = config::load_string(text, "main.cf");
  EXPECT_TRUE(r.config) << text;
  return r.config;
}

std::string key_for(const std::string& main_cf, const std::string& address) {
  auto c = cfg(main_cf);
  auto r = TransportResolver::create(*c);
  if (!r) return "config: " + r.error().detail;
  auto t = r->resolve(address);
  if (!t) return "error " + t.error().dsn + ": " + t.error().detail;
  return t->key();
}

TEST(Transport, ParseValue) {
  auto v = parse_transport_value("smtp:[mail.example.com]:587");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->transport, "smtp");
  EXPECT_EQ(v->nexthop, "[mail.example.com]:587");
  v = parse_transport_value(" :[10.1.1.1] ");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->transport, "");
  EXPECT_EQ(v->nexthop, "[10.1.1.1]");
  v = parse_transport_value("error:5.1.1 no: such domain");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->nexthop, "5.1.1 no: such domain");
  EXPECT_TRUE(parse_transport_value("smtp")->nexthop.empty());
  EXPECT_FALSE(parse_transport_value(""));
  EXPECT_FALSE(parse_transport_value("sm tp:x"));
  EXPECT_FALSE(parse_transport_value("smtp:a\nb"));
  EXPECT_FALSE(parse_transport_value("/bin/sh:x"));
}

TEST(Transport, DefaultIsMxOfTheDomainOrTheRelayhost) {
  EXPECT_EQ(key_for("", "bob@Example.COM"), "smtp:example.com");
  EXPECT_EQ(key_for("relayhost = [smart.example.net]:587\n", "bob@example.com"), "smtp:[smart.example.net]:587");
  EXPECT_EQ(key_for("relayhost = example.net\n", "bob@example.com"), "smtp:example.net");
  EXPECT_EQ(key_for("default_transport = error:5.7.1 outbound mail is off\n", "bob@example.com"),
            "error:5.7.1 outbound mail is off");
  EXPECT_EQ(key_for("", "bob@[192.0.2.7]"), "smtp:[192.0.2.7]");
}

TEST(Transport, MapsByAddressDomainParentThenStar) {
  std::string maps =
      "transport_maps = inline:{ bob@example.com=smtp:[one.test]:2525, example.com=relay:[two.test], "
      ".example.org=:[three.test], *=discard:dropped }\n";
  EXPECT_EQ(key_for(maps, "bob@example.com"), "smtp:[one.test]:2525");
  EXPECT_EQ(key_for(maps, "ann@example.com"), "smtp:[two.test]");
  EXPECT_EQ(key_for(maps, "ann@a.b.example.org"), "smtp:[three.test]");
  EXPECT_EQ(key_for(maps, "ann@example.org"), "discard:dropped");  // ".example.org" is for names below it
  EXPECT_EQ(key_for(maps + "relayhost = [smart.test]\n", "x@elsewhere.test"), "discard:dropped");
  // An entry with an empty next hop takes the relayhost, else the domain.
  EXPECT_EQ(key_for("transport_maps = inline:{ example.com=smtp: }\n", "a@example.com"), "smtp:example.com");
  EXPECT_EQ(key_for("transport_maps = inline:{ example.com=smtp: }\nrelayhost = [smart.test]\n", "a@example.com"),
            "smtp:[smart.test]");
}

TEST(Transport, ErrorsSayWhatAndWhere) {
  EXPECT_EQ(key_for("transport_maps = inline:{ example.com=error:5.1.2 }\n", "a@example.com"), "error:5.1.2");
  auto c = cfg("transport_maps = inline:{ example.com=error:gone }\n");
  auto t = TransportResolver::create(*c)->resolve("a@example.com");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->dsn, "5.0.0");
  // A transport tern does not have: a temporary failure naming the table.
  auto bad = key_for("transport_maps = inline:{ example.com=uucp:host }\n", "a@example.com");
  EXPECT_NE(bad.find("error 4.3.5"), std::string::npos) << bad;
  EXPECT_NE(bad.find("not one tern has"), std::string::npos) << bad;
  // Configuration mistakes: main.cf:LINE and the parameter.
  auto rh = key_for("\nrelayhost = [bad host]\n", "a@b.c");
  EXPECT_NE(rh.find("main.cf:2: relayhost"), std::string::npos) << rh;
  auto dt = key_for("default_transport = procmail\n", "a@b.c");
  EXPECT_NE(dt.find("main.cf:1: default_transport"), std::string::npos) << dt;
}

}  // namespace
