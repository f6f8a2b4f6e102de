// Route planning and assembly from made-up answers: preference order,
// shuffling of equal preferences (both orders seen), null MX, implicit MX,
// names that are not hosts, address preference, limits, and which failures
// are permanent and which temporary. Plus the rdata decoders.
#include <gtest/gtest.h>

#include <set>

#include "dns/records.h"
#include "dns/route.h"

using namespace tern::dns;

namespace {

std::vector<uint8_t> wire_name(const std::string& name) {
  std::vector<uint8_t> out;
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    out.push_back(static_cast<uint8_t>(dot - start));
    out.insert(out.end(), name.begin() + start, name.begin() + dot);
    start = dot + 1;
  }
  out.push_back(0);
  return out;
}

std::vector<uint8_t> mx_rdata(uint16_t pref, const std::string& host) {
  std::vector<uint8_t> out{static_cast<uint8_t>(pref >> 8), static_cast<uint8_t>(pref & 0xff)};
  auto n = wire_name(host);
  out.insert(out.end(), n.begin(), n.end());
  return out;
}

Answer mx_answer(std::vector<std::pair<uint16_t, std::string>> records) {
  Answer a;
  a.status = Answer::Status::ok;
  for (auto& [p, h] : records) a.records.push_back(mx_rdata(p, h));
  return a;
}

Answer status(Answer::Status s, std::string problem = "") {
  Answer a;
  a.status = s;
  a.problem = std::move(problem);
  return a;
}

Answer addr_answer(std::vector<std::string> texts) {
  Answer a;
  a.status = texts.empty() ? Answer::Status::nodata : Answer::Status::ok;
  for (auto& t : texts) {
    auto ip = parse_ip(t);
    a.records.emplace_back(ip->bytes.begin(), ip->bytes.begin() + (ip->is_v4() ? 4 : 16));
  }
  return a;
}

HostAnswers host(uint16_t pref, std::string name, std::vector<std::string> v4, std::vector<std::string> v6 = {}) {
  return {{pref, std::move(name)}, addr_answer(std::move(v4)), addr_answer(std::move(v6))};
}

std::vector<std::string> texts(const RouteResult& r) {
  std::vector<std::string> out;
  for (auto& e : r.route.entries) out.push_back(e.text());
  return out;
}

}  // namespace

TEST(Records, Decoders) {
  auto mx = decode_mx(mx_rdata(10, "mx1.example.com"));
  ASSERT_TRUE(mx);
  EXPECT_EQ(mx->preference, 10);
  EXPECT_EQ(mx->host, "mx1.example.com");
  auto null_mx = decode_mx(mx_rdata(0, ""));
  ASSERT_TRUE(null_mx);
  EXPECT_TRUE(null_mx->host.empty() || null_mx->host == ".") << null_mx->host;
  auto trailing = mx_rdata(10, "a.example");
  trailing.push_back(7);
  EXPECT_FALSE(decode_mx(trailing));
  EXPECT_FALSE(decode_mx(std::vector<uint8_t>{0, 10}));
  std::vector<uint8_t> cut = mx_rdata(10, "a.example");
  cut.pop_back();
  EXPECT_FALSE(decode_mx(cut));
  std::vector<uint8_t> loop{0, 10, 0xc0, 2};  // a compression pointer to itself
  EXPECT_FALSE(decode_mx(loop));
  EXPECT_FALSE(decode_a(std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(decode_a(std::vector<uint8_t>{192, 0, 2, 1})->text(), "192.0.2.1");
  EXPECT_FALSE(decode_aaaa(std::vector<uint8_t>(15, 0)));
  auto odd = decode_name(wire_name("a b.example"));
  ASSERT_TRUE(odd);
  EXPECT_NE(odd->find('\\'), std::string::npos) << *odd;  // escaped, so no host name
}

TEST(Route, PlanOrdersByPreferenceAndShufflesEqualOnes) {
  std::set<std::string> seen;
  for (unsigned seed = 0; seed < 64; ++seed) {
    std::mt19937 rng(seed);
    auto plan = plan_mx("example.com", mx_answer({{20, "c.example.com"}, {10, "a.example.com"}, {10, "b.example.com"}}), rng);
    ASSERT_FALSE(plan.error);
    ASSERT_EQ(plan.hosts.size(), 3u);
    EXPECT_EQ(plan.hosts[2].name, "c.example.com");
    EXPECT_EQ(plan.hosts[0].preference, 10);
    seen.insert(plan.hosts[0].name);
  }
  EXPECT_EQ(seen, (std::set<std::string>{"a.example.com", "b.example.com"}));
}

TEST(Route, PlanFailures) {
  std::mt19937 rng(1);
  auto nx = plan_mx("nx.example", status(Answer::Status::nxdomain), rng);
  ASSERT_TRUE(nx.error);
  EXPECT_EQ(nx.error->kind, RouteError::Kind::permanent);
  EXPECT_EQ(nx.error->dsn, "5.4.4");
  auto temp = plan_mx("t.example", status(Answer::Status::temporary, "SERVFAIL"), rng);
  ASSERT_TRUE(temp.error);
  EXPECT_EQ(temp.error->kind, RouteError::Kind::temporary);
  EXPECT_EQ(temp.error->dsn, "4.4.3");
  EXPECT_NE(temp.error->text.find("SERVFAIL"), std::string::npos);
  auto null = plan_mx("null.example", mx_answer({{0, ""}}), rng);
  ASSERT_TRUE(null.error);
  EXPECT_EQ(null.error->kind, RouteError::Kind::null_mx);
  EXPECT_EQ(null.error->dsn, "5.1.10");
  EXPECT_EQ(null.error->text, "Domain null.example does not accept mail (nullMX)");
  // A root target behind a real host is skipped, not a null MX.
  auto mixed = plan_mx("m.example", mx_answer({{10, "mx.m.example"}, {20, ""}}), rng);
  ASSERT_FALSE(mixed.error);
  ASSERT_EQ(mixed.hosts.size(), 1u);
  EXPECT_EQ(mixed.skipped.size(), 1u);
  // Names that are addresses are no hosts.
  auto literal = plan_mx("l.example", mx_answer({{10, "192.0.2.1"}}), rng);
  ASSERT_TRUE(literal.error);
  EXPECT_EQ(literal.error->kind, RouteError::Kind::permanent);
  EXPECT_NE(literal.error->text.find("192.0.2.1"), std::string::npos);
  // No MX: the domain itself (RFC 5321 §5.1).
  auto implicit = plan_mx("a.example", status(Answer::Status::nodata), rng);
  ASSERT_FALSE(implicit.error);
  ASSERT_EQ(implicit.hosts.size(), 1u);
  EXPECT_EQ(implicit.hosts[0].name, "a.example");
}

TEST(Route, PlanCapsHostsFromAHostileAnswer) {
  std::vector<std::pair<uint16_t, std::string>> many;
  for (int i = 0; i < 200; ++i) many.push_back({static_cast<uint16_t>(i), "mx" + std::to_string(i) + ".example"});
  std::mt19937 rng(1);
  auto plan = plan_mx("big.example", mx_answer(many), rng);
  ASSERT_FALSE(plan.error);
  EXPECT_EQ(plan.hosts.size(), kMaxMxHosts);
  EXPECT_EQ(plan.hosts[0].name, "mx0.example");
}

TEST(Route, AssembleAddressPreferenceAndLimit) {
  std::mt19937 rng(1);
  std::vector<HostAnswers> hosts{host(10, "a.example", {"192.0.2.1"}, {"2001:db8::1"}),
                                 host(20, "b.example", {"192.0.2.2"}, {"2001:db8::2"})};
  RouteSettings s;
  s.preference = AddressPreference::ipv4;
  auto r = assemble_route("example", hosts, 25, s, {}, rng);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(texts(r), (std::vector<std::string>{"a.example[192.0.2.1]:25", "a.example[2001:db8::1]:25",
                                                "b.example[192.0.2.2]:25", "b.example[2001:db8::2]:25"}));
  s.preference = AddressPreference::ipv6;
  s.mx_address_limit = 3;
  r = assemble_route("example", hosts, 2525, s, {}, rng);
  EXPECT_EQ(texts(r), (std::vector<std::string>{"a.example[2001:db8::1]:2525", "a.example[192.0.2.1]:2525",
                                                "b.example[2001:db8::2]:2525"}));
  EXPECT_EQ(r.route.skipped.size(), 1u);
  EXPECT_EQ(r.route.session_limit, 2);
}

TEST(Route, AssembleSkipsHostsWithoutAddresses) {
  std::mt19937 rng(1);
  std::vector<HostAnswers> hosts{host(10, "none.example", {}), host(20, "b.example", {"192.0.2.2"})};
  auto r = assemble_route("example", hosts, 25, {}, {}, rng);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(texts(r), (std::vector<std::string>{"b.example[192.0.2.2]:25"}));
  ASSERT_EQ(r.route.skipped.size(), 1u);
  EXPECT_EQ(r.route.skipped[0], "none.example: no address records");
}

TEST(Route, AssembleFailures) {
  std::mt19937 rng(1);
  // Every host without addresses: permanent.
  auto r = assemble_route("example", {host(10, "a.example", {}), host(20, "b.example", {})}, 25, {}, {}, rng);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->kind, RouteError::Kind::permanent);
  // One of them may yet answer: temporary, never a bounce.
  HostAnswers t{{20, "t.example"}, status(Answer::Status::temporary, "timed out after 10s"),
                status(Answer::Status::nodata)};
  r = assemble_route("example", {host(10, "a.example", {}), t}, 25, {}, {}, rng);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->kind, RouteError::Kind::temporary);
  EXPECT_NE(r.error->text.find("timed out"), std::string::npos);
  // No MX and no address: the classic "Host not found".
  r = assemble_route("a.example", {host(0, "a.example", {})}, 25, {}, {}, rng);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->kind, RouteError::Kind::permanent);
  EXPECT_NE(r.error->text.find("name=a.example type=A: Host not found"), std::string::npos);
}
