// Session tests of STARTTLS and port 465 over the fake TLS layer
// (fake_tls.h): what is discarded, what is forgotten, what is refused.
// RELIABILITY.md #41, #42, #44, #46; the e2e tests (tests/e2e/test_tls.py)
// cover the same with OpenSSL and real clients.
#include <gtest/gtest.h>

#include "smtp/server/session_harness.h"

namespace tern::smtp {
namespace {

const std::string kHello(1, harness::kHello);

// Each reply's first line.
std::vector<std::string> firsts(const std::string& written) {
  std::vector<std::string> out;
  bool continuing = false;
  for (size_t pos = 0; pos < written.size();) {
    size_t eol = written.find("\r\n", pos);
    std::string line = written.substr(pos, eol - pos);
    pos = eol + 2;
    if (!continuing) out.push_back(line);
    continuing = line.size() > 3 && line[3] == '-';
  }
  return out;
}

struct TlsConversation {
  std::shared_ptr<harness::FakeTlsServer> tls = std::make_shared<harness::FakeTlsServer>();
  harness::FakeHost host;
  io::MemoryStream::Transcript t;
  std::vector<std::string> replies;
  TlsConversation(std::deque<io::Segment> chunks, std::string_view extra = {}, ListenerKind kind = ListenerKind::smtp)
      : host(harness::make_services(extra, tls)) {
    t = harness::run(host, std::move(chunks), kind);
    replies = firsts(t.written);
  }
};

using V = std::vector<std::string>;

TEST(SessionTls, PlaintextPipelinedAfterStarttlsIsDiscarded) {
  TlsConversation r({"", "EHLO x\r\n", "", "STARTTLS\r\nRSET\r\nMAIL FROM:<a@b.example>\r\n", "",
                     kHello + "NOOP\r\n", "", "QUIT\r\n"});
  EXPECT_EQ(r.replies, (V{"220 mx.test.example ESMTP tern", "250-mx.test.example", "220 2.0.0 Ready to start TLS",
                          "250 2.0.0 Ok", "221 2.0.0 Bye"}));
  EXPECT_TRUE(r.tls->log->handshake_ok);
  EXPECT_EQ(r.tls->log->read_inside, "NOOP\r\nQUIT\r\n");
  EXPECT_EQ(r.tls->log->written_inside, "250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n");
}

TEST(SessionTls, EhloOffersStarttlsOnlyBeforeTls) {
  TlsConversation r({"", "EHLO x\r\n", "", "STARTTLS\r\n", "", kHello + "EHLO x\r\n", "", "QUIT\r\n"});
  ASSERT_TRUE(r.tls->log->handshake_ok);
  std::string inside = r.tls->log->written_inside;
  std::string before = r.t.written.substr(0, r.t.written.size() - inside.size());
  EXPECT_NE(before.find("250-STARTTLS\r\n"), std::string::npos);
  EXPECT_EQ(inside.find("STARTTLS"), std::string::npos);
}

TEST(SessionTls, StateIsForgottenAndASecondStarttlsRefused) {
  TlsConversation r({"", "EHLO x\r\n", "", "STARTTLS\r\n", "",
                     kHello + "MAIL FROM:<a@b.example>\r\n", "", "STARTTLS\r\n", "", "EHLO x\r\n", "",
                     "MAIL FROM:<a@b.example>\r\n", "", "STARTTLS\r\n", "", "QUIT\r\n"});
  EXPECT_EQ(r.replies, (V{"220 mx.test.example ESMTP tern", "250-mx.test.example", "220 2.0.0 Ready to start TLS",
                          "503 5.5.1 Error: send HELO/EHLO first", "503 5.5.1 Error: TLS already active",
                          "250-mx.test.example", "250 2.1.0 Ok", "503 5.5.1 Error: TLS already active",
                          "221 2.0.0 Bye"}));
}

TEST(SessionTls, StarttlsInsideATransactionOrBdatIsRefused) {
  TlsConversation r({"", "EHLO x\r\n", "", "MAIL FROM:<a@b.example>\r\nRCPT TO:<alice@virt.test>\r\n", "",
                     "BDAT 10\r\n0123456789", "", "STARTTLS\r\n", "", "QUIT\r\n"});
  EXPECT_EQ(r.replies.at(5), "503 5.5.1 Error: MAIL transaction in progress");
  EXPECT_EQ(r.tls->log->handshakes, 0);
  EXPECT_TRUE(r.host.ids.empty());
}

TEST(SessionTls, FailedHandshakeClosesWithoutAnotherReply) {
  TlsConversation r({"", "STARTTLS\r\n", "", "EHLO x\r\nMAIL FROM:<a@b.example>\r\n"});
  EXPECT_EQ(r.replies, (V{"220 mx.test.example ESMTP tern", "220 2.0.0 Ready to start TLS"}));
  EXPECT_FALSE(r.tls->log->handshake_ok);
  EXPECT_TRUE(r.t.closed);
  EXPECT_EQ(r.t.written_after_close, 0u);
  EXPECT_EQ(r.host.released, 1);
}

TEST(SessionTls, StalledHandshakeEndsAtTheDeadline) {
  TlsConversation r({"", "STARTTLS\r\n", io::Segment::stall()});
  EXPECT_FALSE(r.host.hung);
  EXPECT_TRUE(r.t.closed);
  EXPECT_EQ(r.replies.back(), "220 2.0.0 Ready to start TLS");
  auto closed_s = std::chrono::duration_cast<std::chrono::seconds>(r.t.closed_at.time_since_epoch()).count();
  EXPECT_EQ(closed_s, r.host.services()->limits.timeout.count());  // smtpd_timeout after the STARTTLS line
}

TEST(SessionTls, EncryptRefusesMailBeforeStarttls) {
  TlsConversation r({"", "EHLO x\r\n", "", "MAIL FROM:<a@b.example>\r\n", "", "NOOP\r\n", "", "STARTTLS\r\n", "",
                     kHello + "EHLO x\r\n", "", "MAIL FROM:<a@b.example>\r\n", "", "QUIT\r\n"},
                    "smtpd_tls_security_level = encrypt\n");
  EXPECT_EQ(r.replies, (V{"220 mx.test.example ESMTP tern", "250-mx.test.example",
                          "530 5.7.0 Must issue a STARTTLS command first", "250 2.0.0 Ok",
                          "220 2.0.0 Ready to start TLS", "250-mx.test.example", "250 2.1.0 Ok", "221 2.0.0 Bye"}));
}

TEST(SessionTls, Port465HandshakesBeforeTheGreeting) {
  TlsConversation ok({kHello, "", "EHLO x\r\n", "", "STARTTLS\r\n", "", "QUIT\r\n"}, {}, ListenerKind::submissions);
  EXPECT_EQ(ok.replies.front(), "220 mx.test.example ESMTP tern");
  EXPECT_EQ(ok.replies.at(2), "503 5.5.1 Error: TLS already active");
  EXPECT_EQ(ok.t.written, ok.tls->log->written_inside);  // nothing in plaintext
  TlsConversation plain({"EHLO x\r\n"}, {}, ListenerKind::submissions);
  EXPECT_TRUE(plain.t.written.empty());
  EXPECT_TRUE(plain.t.closed);
}

TEST(SessionTls, NoTlsLayerNoStarttls) {
  harness::FakeHost host(harness::make_services());
  auto t = harness::run(host, {"", "EHLO x\r\n", "", "STARTTLS\r\n"});
  EXPECT_EQ(t.written.find("STARTTLS"), std::string::npos);
  EXPECT_NE(t.written.find("502 5.5.1"), std::string::npos);
}

}  // namespace
}  // namespace tern::smtp
