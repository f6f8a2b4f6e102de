// Session tests of SMTP AUTH over the harness (fake verifier: alice@virt.test
// with "secret"; smtpd_sasl_failure_limit 4, no failure delay): every reply
// code of RELIABILITY.md #48 and #49, and the state after each.
#include <gtest/gtest.h>

#include "sasl/base64.h"
#include "smtp/server/session_harness.h"

namespace tern::smtp {
namespace {

using V = std::vector<std::string>;


// base64 of "authzid\0user\0pw"
std::string plain(std::string_view authzid, std::string_view user, std::string_view pw) {
  return sasl::client_plain_response(user, pw, authzid);
}

struct AuthRun {
  harness::FakeHost host;
  io::MemoryStream::Transcript t;
  V r;
  explicit AuthRun(std::deque<io::Segment> chunks, std::string_view extra = {}) : host(harness::make_services(extra)) {
    t = harness::run(host, std::move(chunks));
    r = harness::reply_codes(t.written);
  }
};

TEST(SessionAuth, PlainWithInitialResponseThenMail) {
  AuthRun s({"", "EHLO x\r\n", "", "AUTH PLAIN " + plain("", "alice@virt.test", "secret") + "\r\n", "",
         "MAIL FROM:<alice@virt.test> AUTH=alice@virt.test\r\n", "", "AUTH PLAIN " + plain("", "a", "b") + "\r\n", "",
         "QUIT\r\n"});
  EXPECT_EQ(s.r, (V{"220", "250", "235 2.7.0", "250 2.1.0", "503 5.5.1", "221 2.0.0"}));
  EXPECT_NE(s.t.written.find("AUTH PLAIN LOGIN\r\n"), std::string::npos);
}

TEST(SessionAuth, LoginChallengesAndEmptyPlainChallenge) {
  AuthRun s({"", "EHLO x\r\n", "", "AUTH LOGIN\r\n", "", sasl::base64_encode("alice@virt.test") + "\r\n", "",
         sasl::base64_encode("secret") + "\r\n", "", "QUIT\r\n"});
  EXPECT_EQ(s.r, (V{"220", "250", "334", "334", "235 2.7.0", "221 2.0.0"}));
  EXPECT_NE(s.t.written.find("334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n"), std::string::npos);
  AuthRun p({"", "EHLO x\r\n", "", "AUTH PLAIN\r\n", "", plain("", "alice@virt.test", "secret") + "\r\n", "", "QUIT\r\n"});
  EXPECT_EQ(p.r, (V{"220", "250", "334", "235 2.7.0", "221 2.0.0"}));
  EXPECT_NE(p.t.written.find("\r\n334 \r\n"), std::string::npos);
}

TEST(SessionAuth, ErrorsLeaveACleanState) {
  // #49: bad base64, "*", a 20 KB response line, authzid != authcid, then
  // an aborted PLAIN followed by a LOGIN that works.
  AuthRun s({"", "EHLO x\r\n", "", "AUTH PLAIN AGFsaWNl!\r\n", "", "AUTH PLAIN\r\n", "", "*\r\n", "", "AUTH LOGIN\r\n", "",
         std::string(20000, 'A') + "\r\n", "", "AUTH PLAIN " + plain("bob@virt.test", "alice@virt.test", "secret") + "\r\n",
         "", "AUTH PLAIN\r\n", "", "*\r\n", "", "AUTH LOGIN\r\n", "", sasl::base64_encode("alice@virt.test") + "\r\n", "",
         sasl::base64_encode("secret") + "\r\n", "", "QUIT\r\n"});
  EXPECT_EQ(s.r, (V{"220", "250", "501 5.5.2", "334", "501 5.7.0", "334", "500 5.5.6", "535 5.7.8", "334",
                    "501 5.7.0", "334", "334", "235 2.7.0", "221 2.0.0"}));
}

TEST(SessionAuth, OrderAndMechanismErrors) {
  AuthRun s({"", "AUTH PLAIN =\r\n", "", "EHLO x\r\n", "", "AUTH CRAM-MD5\r\n", "", "AUTH\r\n", "",
         "MAIL FROM:<a@b.example>\r\n", "", "AUTH PLAIN " + plain("", "alice@virt.test", "secret") + "\r\n", "",
         "AUTH PLAIN " + plain("", "tempfail@virt.test", "x") + "\r\n", "", "QUIT\r\n"});
  EXPECT_EQ(s.r, (V{"220", "503 5.5.1", "250", "504 5.5.4", "501 5.5.4", "250 2.1.0", "503 5.5.1", "503 5.5.1",
                    "221 2.0.0"}));
  AuthRun t({"", "EHLO x\r\n", "", "AUTH PLAIN " + plain("", "tempfail@virt.test", "x") + "\r\n", "", "QUIT\r\n"});
  EXPECT_EQ(t.r, (V{"220", "250", "454 4.7.0", "221 2.0.0"}));
}

TEST(SessionAuth, TlsOnlyAndDisabled) {
  AuthRun s({"", "EHLO x\r\n", "", "AUTH PLAIN " + plain("", "alice@virt.test", "secret") + "\r\n", "", "QUIT\r\n"},
        "smtpd_tls_auth_only = yes\n");
  EXPECT_EQ(s.r, (V{"220", "250", "538 5.7.11", "221 2.0.0"}));
  EXPECT_EQ(s.t.written.find("AUTH PLAIN LOGIN"), std::string::npos);
  AuthRun d({"", "EHLO x\r\n", "", "AUTH PLAIN " + plain("", "alice@virt.test", "secret") + "\r\n", "", "QUIT\r\n"},
        "smtpd_sasl_auth_enable = no\n");
  EXPECT_EQ(d.r, (V{"220", "250", "503 5.5.1", "221 2.0.0"}));
  EXPECT_EQ(d.t.written.find("AUTH PLAIN LOGIN"), std::string::npos);
}

TEST(SessionAuth, FailureLimitAnswers421AndRemembersTheAddress) {
  std::deque<io::Segment> c{"", "EHLO x\r\n"};
  for (int i = 0; i < 5; ++i) {
    c.push_back("");
    c.push_back("AUTH PLAIN " + plain("", "alice@virt.test", "wrong") + "\r\n");
  }
  AuthRun s(c);
  EXPECT_EQ(s.r, (V{"220", "250", "535 5.7.8", "535 5.7.8", "535 5.7.8", "421 4.7.0"}));
  EXPECT_TRUE(s.t.closed);
  EXPECT_EQ(s.host.auth_failures().size(), 1u);
}

TEST(AuthFailures, WindowAndBound) {
  AuthFailures f(2);
  auto t0 = AuthFailures::Clock::now();
  std::chrono::seconds w(10);
  EXPECT_EQ(f.record("a", t0, w), 1);
  EXPECT_EQ(f.record("a", t0 + std::chrono::seconds(5), w), 2);
  EXPECT_EQ(f.count("a", t0 + std::chrono::seconds(14), w), 2);
  EXPECT_EQ(f.count("a", t0 + std::chrono::seconds(16), w), 0);  // forgotten after a quiet window
  f.record("b", t0, w);
  f.record("c", t0 + std::chrono::seconds(1), w);
  f.record("d", t0 + std::chrono::seconds(2), w);
  EXPECT_EQ(f.size(), 2u);
  EXPECT_EQ(f.count("b", t0 + std::chrono::seconds(2), w), 0);  // the oldest went first
  EXPECT_EQ(f.count("d", t0 + std::chrono::seconds(2), w), 1);
}

}  // namespace
}  // namespace tern::smtp
