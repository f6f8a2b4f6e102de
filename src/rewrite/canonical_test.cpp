// Tests for the cleanup-time rewriting: address spans in header values,
// Canonical's lookup order and masquerading, and the streaming header
// rewriter (bytes other than the addresses unchanged, any chunking).
#include <gtest/gtest.h>

#include "config/config.h"
#include "mail/address_spans.h"
#include "rewrite/canonical.h"
#include "rewrite/canonical_headers.h"

namespace {

using tern::rewrite::Canonical;
using tern::rewrite::CanonicalHeaders;

std::vector<std::string> spans(std::string_view v) {
  std::vector<std::string> out;
  for (auto s : tern::mail::address_spans(v)) out.emplace_back(v.substr(s.begin, s.end - s.begin));
  return out;
}

std::shared_ptr<const Canonical> make(const std::string& extra) {
  auto cfg = tern::config::load_string(
      "myhostname = mx.example\nmydomain = example\nmyorigin = local.example\n"
      "mydestination = local.example\nrecipient_delimiter = +\n" + extra,
      "test.cf");
  EXPECT_TRUE(cfg.ok());
  auto c = Canonical::create(*cfg.config);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().detail);
  return c.ok() ? *c : nullptr;
}

std::string run(std::shared_ptr<const Canonical> c, std::string_view content, size_t chunk, size_t max = 65536) {
  CanonicalHeaders h(c, max);
  std::string out;
  for (size_t i = 0; i < content.size(); i += chunk) EXPECT_TRUE(h.feed(content.substr(i, chunk), out).ok());
  EXPECT_TRUE(h.finish(out).ok());
  return out;
}

}  // namespace

TEST(AddressSpans, FindsAddressesOnly) {
  using V = std::vector<std::string>;
  EXPECT_EQ(spans(" a@x"), V{"a@x"});
  EXPECT_EQ(spans(" A Person <a@x>, b@y (Bee, \"q\"), \"c, d\" <c@z>"), (V{"a@x", "b@y", "c@z"}));
  EXPECT_EQ(spans(" undisclosed-recipients:;"), V{});
  EXPECT_EQ(spans(" team: a@x, B <b@y>; c@z"), (V{"a@x", "b@y", "c@z"}));
  EXPECT_EQ(spans(" =?utf-8?q?J=C3=B6rg?= <j@x>"), V{"j@x"});
  EXPECT_EQ(spans(" \"john doe\"@x"), V{"\"john doe\"@x"});
  EXPECT_EQ(spans(" <@r1,@r2:a@x>"), V{});  // source route: left alone
  EXPECT_EQ(spans(" just a name"), V{});
  EXPECT_EQ(spans(" <a@x"), V{});              // unterminated
  EXPECT_EQ(spans(" (unclosed comment a@x"), V{});
  EXPECT_EQ(spans(" \"unclosed a@x"), V{});
}

TEST(Canonical, LookupOrderAndExtensions) {
  auto c = make(
      "sender_canonical_maps = inline:{ alice@local.example=Alice.Smith@example.com, "
      "@old.example=@new.example, bob=robert@example.com }\n"
      "recipient_canonical_maps = inline:{ info@example.com=support@example.com }\n");
  using C = Canonical;
  EXPECT_EQ(*c->rewrite("alice@local.example", C::envelope_sender), "Alice.Smith@example.com");
  EXPECT_EQ(*c->rewrite("ALICE@Local.Example", C::envelope_sender), "Alice.Smith@example.com");
  EXPECT_EQ(*c->rewrite("alice+tag@local.example", C::envelope_sender), "Alice.Smith+tag@example.com");
  EXPECT_EQ(*c->rewrite("bob@local.example", C::envelope_sender), "robert@example.com");  // local domain: "user"
  EXPECT_EQ(*c->rewrite("bob@elsewhere.example", C::envelope_sender), "bob@elsewhere.example");
  EXPECT_EQ(*c->rewrite("carol@old.example", C::envelope_sender), "carol@new.example");
  EXPECT_EQ(*c->rewrite("", C::envelope_sender), "");
  // Sender tables do not touch recipients, and the other way round.
  EXPECT_EQ(*c->rewrite("alice@local.example", C::envelope_recipient), "alice@local.example");
  EXPECT_EQ(*c->rewrite("info@example.com", C::envelope_recipient), "support@example.com");
  EXPECT_EQ(*c->rewrite("info@example.com", C::envelope_sender), "info@example.com");
  EXPECT_TRUE(c->active(C::envelope_sender));
  EXPECT_FALSE(make("")->active(C::envelope_sender | C::envelope_recipient | C::header_sender | C::header_recipient));
}

TEST(Canonical, Masquerading) {
  auto c = make("masquerade_domains = !keep.example.com, example.com\nmasquerade_exceptions = root\n");
  using C = Canonical;
  EXPECT_EQ(*c->rewrite("joe@host.example.com", C::envelope_sender), "joe@example.com");
  EXPECT_EQ(*c->rewrite("joe@a.b.example.com", C::header_sender), "joe@example.com");
  EXPECT_EQ(*c->rewrite("root@host.example.com", C::envelope_sender), "root@host.example.com");
  EXPECT_EQ(*c->rewrite("joe@x.keep.example.com", C::envelope_sender), "joe@x.keep.example.com");
  EXPECT_EQ(*c->rewrite("joe@notexample.com", C::envelope_sender), "joe@notexample.com");
  EXPECT_EQ(*c->rewrite("joe@example.com", C::envelope_sender), "joe@example.com");
  // envelope_recipient is not in masquerade_classes by default.
  EXPECT_EQ(*c->rewrite("joe@host.example.com", C::envelope_recipient), "joe@host.example.com");
}

TEST(CanonicalHeaders, RewritesAddressesOnlyAtAnyChunking) {
  auto c = make("canonical_maps = inline:{ a@x.example=A@y.example, b@x.example=B@y.example }\n");
  std::string in =
      "Received: from a@x.example\r\n"
      "From: =?utf-8?q?J=C3=B6rg?= <a@x.example> (a@x.example)\r\n"
      "To: undisclosed-recipients:;\r\n"
      "Cc: friends: b@x.example,\r\n"
      "\t\"Q, R\" <a@x.example>;\r\n"
      "Subject: a@x.example\r\n"
      "\r\n"
      "From: a@x.example\r\n";
  std::string want =
      "Received: from a@x.example\r\n"
      "From: =?utf-8?q?J=C3=B6rg?= <A@y.example> (a@x.example)\r\n"
      "To: undisclosed-recipients:;\r\n"
      "Cc: friends: B@y.example,\r\n"
      "\t\"Q, R\" <A@y.example>;\r\n"
      "Subject: a@x.example\r\n"
      "\r\n"
      "From: a@x.example\r\n";
  for (size_t chunk : {1, 2, 7, 64, 4096}) EXPECT_EQ(run(c, in, chunk), want) << chunk;
  // LF line ends, a last line without one.
  EXPECT_EQ(run(c, "To: b@x.example", 3), "To: B@y.example");
  // A field longer than the limit passes unchanged, as does an overlong line.
  std::string long_to = "To: b@x.example,\n " + std::string(200, 'z') + "@q\nFrom: a@x.example\n\nbody\n";
  EXPECT_EQ(run(c, long_to, 5, 100), "To: b@x.example,\n " + std::string(200, 'z') + "@q\nFrom: A@y.example\n\nbody\n");
  // Not a header line: the body starts there, nothing after it changes.
  EXPECT_EQ(run(c, "X: 1\nnot a header\nFrom: a@x.example\n", 4), "X: 1\nnot a header\nFrom: a@x.example\n");
}
