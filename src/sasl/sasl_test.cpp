// Unit tests for base64 and the PLAIN/LOGIN step functions: tables of
// labelled cases, including every malformed form RELIABILITY.md #49 names.
#include <gtest/gtest.h>

#include "sasl/base64.h"
#include "sasl/mechanism.h"

namespace tern::sasl {
namespace {

using K = Step::Kind;

TEST(Base64, RoundTripsAndRefusesNonCanonical) {
  for (std::string s : {std::string(), std::string("a"), std::string("ab"), std::string("abc"), std::string("abcd"), std::string("\0\xff\x10", 3)})
    EXPECT_EQ(base64_decode(base64_encode(s)), s) << s;
  EXPECT_EQ(base64_encode("Username:"), "VXNlcm5hbWU6");
  struct {
    const char* label;
    const char* text;
  } bad[] = {
      {"length not a multiple of 4", "YWJ"},   {"space inside", "YW Jj"},     {"trailing CR", "YWJj\r"},
      {"padding in the middle", "YQ==YWJj"},   {"three pads", "Y==="},        {"bad byte", "YW!j"},
      {"non-zero bits under 1 pad", "YWJ="},   {"non-zero bits under 2 pads", "YR=="},
      {"url-safe alphabet", "-_-_"},           {"only padding", "===="},
  };
  for (auto& b : bad) EXPECT_FALSE(base64_decode(b.text)) << b.label;
  EXPECT_EQ(base64_decode("YWI="), "ab");
  EXPECT_EQ(base64_decode("YQ=="), "a");
}

// base64 of "authzid\0user\0pw"
std::string plain(std::string_view authzid, std::string_view user, std::string_view pw) {
  return client_plain_response(user, pw, authzid);
}

TEST(Plain, InitialResponseAndChallenge) {
  ServerExchange a(Mechanism::plain);
  EXPECT_EQ(a.start(plain("", "alice@virt.test", "pw")).kind, K::done);
  auto c = a.take_credentials();
  EXPECT_EQ(c.authcid, "alice@virt.test");
  EXPECT_EQ(c.password, "pw");

  ServerExchange b(Mechanism::plain);
  auto s = b.start(std::nullopt);
  EXPECT_EQ(s.kind, K::challenge);
  EXPECT_EQ(s.text, "");  // "334 " with an empty challenge
  EXPECT_EQ(b.step(plain("alice@virt.test", "alice@virt.test", "pw")).kind, K::done);
}

TEST(Plain, Failures) {
  struct {
    const char* label;
    std::string line;
    K kind;
  } cases[] = {
      {"authzid differs", plain("bob@virt.test", "alice@virt.test", "pw"), K::failed},
      {"no NUL", base64_encode("alicepw"), K::failed},
      {"one NUL", base64_encode(std::string("alice\0pw", 8)), K::failed},
      {"NUL in password", plain("", "alice", std::string("p\0w", 3)), K::failed},
      {"empty user", plain("", "", "pw"), K::failed},
      {"empty password", plain("", "alice", ""), K::failed},
      {"field too long", plain("", "alice", std::string(kMaxFieldBytes + 1, 'x')), K::failed},
      {"bad base64", "AGFsaWNlAHB3!", K::bad_base64},
      {"cancel", "*", K::cancelled},
      {"empty response", "", K::failed},
  };
  for (auto& c : cases) {
    ServerExchange x(Mechanism::plain);
    ASSERT_EQ(x.start(std::nullopt).kind, K::challenge);
    EXPECT_EQ(x.step(c.line).kind, c.kind) << c.label;
  }
  ServerExchange e(Mechanism::plain);
  EXPECT_EQ(e.start("=").kind, K::failed) << "\"=\" is an empty initial response";
}

TEST(Login, TwoChallengesAndInitialUser) {
  ServerExchange x(Mechanism::login);
  auto s = x.start(std::nullopt);
  ASSERT_EQ(s.kind, K::challenge);
  EXPECT_EQ(base64_decode(s.text), "Username:");
  s = x.step(base64_encode("alice@virt.test"));
  ASSERT_EQ(s.kind, K::challenge);
  EXPECT_EQ(base64_decode(s.text), "Password:");
  EXPECT_EQ(x.step(base64_encode("pw")).kind, K::done);
  auto c = x.take_credentials();
  EXPECT_EQ(c.authcid, "alice@virt.test");
  EXPECT_EQ(c.password, "pw");

  ServerExchange y(Mechanism::login);
  EXPECT_EQ(y.start(base64_encode("alice")).kind, K::challenge);  // initial response = user name
  EXPECT_EQ(y.step("*").kind, K::cancelled);
  ServerExchange z(Mechanism::login);
  z.start(std::nullopt);
  EXPECT_EQ(z.step(base64_encode(std::string("a\0b", 3))).kind, K::failed);
}

TEST(Mechanisms, Names) {
  EXPECT_EQ(find_mechanism("plain"), Mechanism::plain);
  EXPECT_EQ(find_mechanism("LOGIN"), Mechanism::login);
  EXPECT_FALSE(find_mechanism("CRAM-MD5"));
  EXPECT_FALSE(find_mechanism(""));
}

TEST(Client, TalksToServer) {
  ServerExchange p(Mechanism::plain);
  EXPECT_EQ(p.start(client_plain_response("alice", "pw")).kind, K::done);
  EXPECT_EQ(p.take_credentials().password, "pw");

  ServerExchange l(Mechanism::login);
  LoginClient c("alice", "pw");
  auto s = l.start(std::nullopt);
  while (s.kind == K::challenge) {
    auto r = c.respond(s.text);
    ASSERT_TRUE(r);
    s = l.step(*r);
  }
  EXPECT_EQ(s.kind, K::done);
  EXPECT_EQ(l.take_credentials().authcid, "alice");
  EXPECT_FALSE(c.respond("VXNlcm5hbWU6"));  // a third challenge
  EXPECT_FALSE(LoginClient("a", "b").respond("!!"));
}

}  // namespace
}  // namespace tern::sasl
