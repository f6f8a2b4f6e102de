// Unit tests of the SMTP client session against scripted servers
// (client_harness.h: io::MemoryStream, FakeClock, fake TLS).
#include <gtest/gtest.h>

#include "config/config.h"
#include "smtp/client/client.h"
#include "smtp/client/client_harness.h"
#include "smtp/client/content.h"

namespace tern::smtp::client {
namespace {

using harness::kHello;
using io::Segment;
using std::chrono::seconds;

Settings base_settings() {
  Settings s;
  s.helo_name = "client.example";
  s.tls = TlsLevel::none;
  return s;
}

Envelope two_rcpts() {
  Envelope e;
  e.sender = "s@example.org";
  e.recipients = {{"a@example.com", "", ""}, {"b@example.com", "", ""}};
  return e;
}

const std::string kContent = "Subject: hi\n\n.dot line\nbody\n";
const std::string kEhloPipe = "250-mx.example.com\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 1000000\r\n";
const std::string kEhloPlain = "250-mx.example.com\r\n250 8BITMIME\r\n";

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

TEST(SmtpClient, PipelinedDelivery) {
  auto s = base_settings();
  auto env = two_rcpts();
  auto r = harness::run({"220 mx ESMTP\r\n", kEhloPipe, "250 2.1.0 Ok\r\n", "250 2.1.5 Ok\r\n", "250 2.1.5 Ok\r\n",
                         "354 End data with <CR><LF>.<CR><LF>\r\n", "250 2.0.0 Ok: queued as ABC\r\n", "221 2.0.0 Bye\r\n"},
                        s, env, kContent);
  ASSERT_TRUE(r.finished);
  EXPECT_EQ(r.transcript.written,
            "EHLO client.example\r\n"
            "MAIL FROM:<s@example.org> SIZE=32\r\nRCPT TO:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n"
            "Subject: hi\r\n\r\n..dot line\r\nbody\r\n.\r\n"
            "QUIT\r\n");
  ASSERT_EQ(r.result.recipients.size(), 2u);
  for (const auto& rc : r.result.recipients) {
    EXPECT_EQ(rc.outcome, Outcome::sent);
    EXPECT_EQ(rc.dsn, "2.0.0");
    EXPECT_EQ(rc.diagnostic, "250 2.0.0 Ok: queued as ABC");
    EXPECT_TRUE(rc.rcpt_accepted);
  }
  EXPECT_FALSE(r.result.try_next_host);
  EXPECT_TRUE(r.transcript.closed);
}

TEST(SmtpClient, OneAtATimePerRecipientReplies) {
  auto s = base_settings();
  Envelope env = two_rcpts();
  env.recipients.push_back({"c@example.com", "", ""});
  auto r = harness::run({"220 mx\r\n", kEhloPlain, "250 2.1.0 Ok\r\n", "250 2.1.5 Ok\r\n",
                         "550 5.1.1 <b@example.com>: no such user\r\n", "450 4.2.0 <c@example.com>: greylisted\r\n",
                         "354 go\r\n", "250 2.0.0 Ok: queued as X\r\n", "221 Bye\r\n"},
                        s, env, kContent);
  ASSERT_TRUE(r.finished);
  EXPECT_EQ(r.transcript.written,
            "EHLO client.example\r\nMAIL FROM:<s@example.org>\r\nRCPT TO:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n"
            "RCPT TO:<c@example.com>\r\nDATA\r\nSubject: hi\r\n\r\n..dot line\r\nbody\r\n.\r\nQUIT\r\n");
  auto& rc = r.result.recipients;
  EXPECT_EQ(rc[0].outcome, Outcome::sent);
  EXPECT_EQ(rc[1].outcome, Outcome::bounced);
  EXPECT_EQ(rc[1].dsn, "5.1.1");
  EXPECT_EQ(rc[1].diagnostic,
            "host mx.example.com[192.0.2.1] said: 550 5.1.1 <b@example.com>: no such user (in reply to RCPT TO "
            "command)");
  EXPECT_FALSE(rc[1].rcpt_accepted);
  EXPECT_EQ(rc[2].outcome, Outcome::deferred);
  EXPECT_EQ(rc[2].dsn, "4.2.0");
}

TEST(SmtpClient, Reply421MidwayDefersTheRestAndHangsUp) {
  auto s = base_settings();
  auto env = two_rcpts();
  auto r = harness::run({"220 mx\r\n", kEhloPlain, "250 Ok\r\n", "250 Ok\r\n", "421 4.3.2 shutting down\r\n"}, s,
                        env, kContent);
  ASSERT_TRUE(r.finished);
  for (const auto& rc : r.result.recipients) {
    EXPECT_EQ(rc.outcome, Outcome::deferred);
    EXPECT_EQ(rc.dsn, "4.3.2");
  }
  EXPECT_EQ(count(r.transcript.written, "DATA"), 0u);
  EXPECT_EQ(count(r.transcript.written, "QUIT"), 0u);
  EXPECT_FALSE(r.result.try_next_host);  // MAIL was answered: the mail's part, not the host's
}

TEST(SmtpClient, LostConnectionAfterMail) {
  auto s = base_settings();
  auto env = two_rcpts();
  auto r = harness::run({"220 mx\r\n", kEhloPipe, "250 Ok\r\n"}, s, env, kContent);
  ASSERT_TRUE(r.finished);
  for (const auto& rc : r.result.recipients) {
    EXPECT_EQ(rc.outcome, Outcome::deferred);
    EXPECT_EQ(rc.dsn, "4.4.2");
    EXPECT_EQ(rc.diagnostic, "lost connection with mx.example.com[192.0.2.1] while sending RCPT TO");
  }
  EXPECT_FALSE(r.result.try_next_host);
}

struct StallCase {
  const char* name;
  std::deque<Segment> script;
  long long ends_at_s;
  const char* diagnostic;
  bool next_host;
};

TEST(SmtpClient, TimeoutAtEachStage) {
  const std::string host = "conversation with mx.example.com[192.0.2.1] timed out while ";
  std::vector<StallCase> cases = {
      {"greeting", {Segment::stall()}, 300, "receiving the initial server greeting", true},
      {"ehlo", {"220 mx\r\n", Segment::stall()}, 300, "performing the EHLO handshake", true},
      {"mail", {"220 mx\r\n", kEhloPlain, Segment::stall()}, 300, "sending MAIL FROM", true},
      {"rcpt", {"220 mx\r\n", kEhloPlain, "250 Ok\r\n", Segment::stall()}, 300, "sending RCPT TO", false},
      {"data", {"220 mx\r\n", kEhloPlain, "250 Ok\r\n", "250 Ok\r\n", "250 Ok\r\n", Segment::stall()}, 120,
       "sending DATA command", false},
      {"dot",
       {"220 mx\r\n", kEhloPlain, "250 Ok\r\n", "250 Ok\r\n", "250 Ok\r\n", "354 go\r\n", Segment::stall()},
       600,
       "sending end of data -- message may be sent more than once",
       false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto s = base_settings();
    auto env = two_rcpts();
    auto r = harness::run(c.script, s, env, kContent);
    ASSERT_TRUE(r.finished);
    EXPECT_FALSE(r.hung);
    EXPECT_EQ(std::chrono::duration_cast<seconds>(r.ended.time_since_epoch()).count(), c.ends_at_s);
    for (const auto& rc : r.result.recipients) {
      EXPECT_EQ(rc.outcome, Outcome::deferred);
      EXPECT_EQ(rc.diagnostic, host + c.diagnostic);
    }
    EXPECT_EQ(r.result.try_next_host, c.next_host);
    EXPECT_EQ(count(r.transcript.written, "QUIT"), 0u);
  }
}

TEST(SmtpClient, QuitStallChangesNothing) {
  auto s = base_settings();
  Envelope env = two_rcpts();
  env.recipients.resize(1);
  auto r = harness::run({"220 mx\r\n", kEhloPlain, "250 Ok\r\n", "250 Ok\r\n", "354 go\r\n",
                         "250 2.0.0 Ok: queued as Q\r\n", Segment::stall()},
                        s, env, kContent);
  ASSERT_TRUE(r.finished);
  EXPECT_EQ(r.result.recipients[0].outcome, Outcome::sent);
  EXPECT_EQ(r.result.recipients[0].diagnostic, "250 2.0.0 Ok: queued as Q");
  EXPECT_EQ(std::chrono::duration_cast<seconds>(r.ended.time_since_epoch()).count(), 300);  // smtp_quit_timeout
}

TEST(SmtpClient, StarttlsHandshakeTimeout) {
  auto s = base_settings();
  harness::FakeTlsClient tls;
  s.tls = TlsLevel::encrypt;
  s.tls_client = &tls;
  s.starttls_timeout = seconds(20);
  auto env = two_rcpts();
  auto r = harness::run({"220 mx\r\n", "250-mx\r\n250 STARTTLS\r\n", "220 Ready\r\n", Segment::stall()}, s, env,
                        kContent);
  ASSERT_TRUE(r.finished);
  EXPECT_EQ(std::chrono::duration_cast<seconds>(r.ended.time_since_epoch()).count(), 20);
  for (const auto& rc : r.result.recipients) {
    EXPECT_EQ(rc.outcome, Outcome::deferred);
    EXPECT_EQ(rc.dsn, "4.7.5");
    EXPECT_EQ(rc.diagnostic, "Cannot start TLS: handshake failure with mx.example.com[192.0.2.1] (timeout)");
  }
  EXPECT_TRUE(r.result.try_next_host);
  EXPECT_FALSE(r.result.tls_handshake_failed);  // at encrypt there is no plaintext retry
}

TEST(SmtpClient, PipelinedMail421TriesNextHost) {
  auto s = base_settings();
  auto env = two_rcpts();
  auto r = harness::run({"220 mx\r\n", kEhloPipe, "421 4.7.0 too busy\r\n"}, s, env, kContent);
  ASSERT_TRUE(r.finished);
  EXPECT_TRUE(r.result.try_next_host);
  for (const auto& rc : r.result.recipients) {
    EXPECT_EQ(rc.outcome, Outcome::deferred);
    EXPECT_EQ(rc.diagnostic, "host mx.example.com[192.0.2.1] said: 421 4.7.0 too busy (in reply to MAIL FROM command)");
  }
  EXPECT_EQ(count(r.transcript.written, "QUIT"), 0u);
}

TEST(SmtpClient, SizeLimitBouncesBeforeMail) {
  auto s = base_settings();
  auto env = two_rcpts();
  auto r = harness::run({"220 mx\r\n", "250-mx\r\n250 SIZE 10\r\n", "221 Bye\r\n"}, s, env, kContent);
  ASSERT_TRUE(r.finished);
  for (const auto& rc : r.result.recipients) {
    EXPECT_EQ(rc.outcome, Outcome::bounced);
    EXPECT_EQ(rc.dsn, "5.3.4");
    EXPECT_EQ(rc.diagnostic, "message size 32 exceeds size limit 10 of server mx.example.com[192.0.2.1]");
  }
  EXPECT_EQ(count(r.transcript.written, "MAIL"), 0u);
  EXPECT_EQ(count(r.transcript.written, "QUIT\r\n"), 1u);
}

TEST(SmtpClient, SmtputfNeededNotOfferedBounces) {
  auto s = base_settings();
  auto env = two_rcpts();
  env.smtputf8 = true;
  auto r = harness::run({"220 mx\r\n", kEhloPipe, "221 Bye\r\n"}, s, env, kContent);
  for (const auto& rc : r.result.recipients) {
    EXPECT_EQ(rc.outcome, Outcome::bounced);
    EXPECT_EQ(rc.dsn, "5.6.7");
  }
  EXPECT_EQ(count(r.transcript.written, "MAIL"), 0u);
}

TEST(SmtpClient, EncryptWithoutStarttlsDefersAndTriesNextHost) {
  auto s = base_settings();
  harness::FakeTlsClient tls;
  s.tls = TlsLevel::encrypt;
  s.tls_client = &tls;
  auto env = two_rcpts();
  auto r = harness::run({"220 mx\r\n", kEhloPipe, "221 Bye\r\n"}, s, env, kContent);
  for (const auto& rc : r.result.recipients) {
    EXPECT_EQ(rc.outcome, Outcome::deferred);
    EXPECT_EQ(rc.dsn, "4.7.4");
    EXPECT_EQ(rc.diagnostic, "TLS is required, but was not offered by host mx.example.com[192.0.2.1]");
  }
  EXPECT_TRUE(r.result.try_next_host);
  EXPECT_EQ(count(r.transcript.written, "MAIL"), 0u);
  EXPECT_EQ(tls.log->handshakes, 0);
}

TEST(SmtpClient, MayWithoutStarttlsGoesPlain) {
  auto s = base_settings();
  harness::FakeTlsClient tls;
  s.tls = TlsLevel::may;
  s.tls_client = &tls;
  auto env = two_rcpts();
  auto r = harness::run({"220 mx\r\n", kEhloPlain, "250 Ok\r\n", "250 Ok\r\n", "250 Ok\r\n", "354 go\r\n",
                         "250 Ok: queued\r\n", "221 Bye\r\n"},
                        s, env, kContent);
  for (const auto& rc : r.result.recipients) EXPECT_EQ(rc.outcome, Outcome::sent);
  EXPECT_EQ(r.result.tls, "");
}

TEST(SmtpClient, AuthWithoutTlsIsNeverSent) {
  auto s = base_settings();
  s.auth = Credentials{"user", "secret"};
  auto env = two_rcpts();
  auto r = harness::run({"220 mx\r\n", "250-mx\r\n250 AUTH PLAIN LOGIN\r\n", "221 Bye\r\n"}, s, env, kContent);
  for (const auto& rc : r.result.recipients) {
    EXPECT_EQ(rc.outcome, Outcome::deferred);
    EXPECT_NE(rc.diagnostic.find("SASL authentication failed; cannot authenticate to server "
                                 "mx.example.com[192.0.2.1]: no mechanism available"),
              std::string::npos);
  }
  EXPECT_EQ(count(r.transcript.written, "AUTH"), 0u);
  EXPECT_EQ(count(r.transcript.written, "MAIL"), 0u);
  EXPECT_TRUE(r.result.try_next_host);
}

TEST(SmtpClient, StarttlsThenAuthPlainThenMail) {
  auto s = base_settings();
  harness::FakeTlsClient tls;
  s.tls = TlsLevel::may;
  s.tls_client = &tls;
  s.tls_loglevel = 1;
  s.auth = Credentials{"user", "secret"};
  auto env = two_rcpts();
  // The server injects "250 injected" after its 220: it must be discarded.
  auto r = harness::run({"220 mx\r\n", "250-mx\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n",
                         "220 2.0.0 Ready to start TLS\r\n250 injected\r\n", "", std::string(1, kHello),
                         "250-mx\r\n250-PIPELINING\r\n250 AUTH PLAIN\r\n", "235 2.7.0 Authentication successful\r\n",
                         "250 Ok\r\n250 Ok\r\n250 Ok\r\n354 go\r\n", "250 2.0.0 Ok: queued as T\r\n", "221 Bye\r\n"},
                        s, env, kContent);
  ASSERT_TRUE(r.finished);
  EXPECT_TRUE(tls.log->ok);
  EXPECT_EQ(tls.log->server_name, "mx.example.com");
  EXPECT_FALSE(tls.log->mandatory);
  EXPECT_EQ(r.result.tls, "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)");
  EXPECT_EQ(r.result.tls_trust, "Verified");
  // EHLO again inside TLS, then AUTH: base64("\0user\0secret").
  EXPECT_EQ(tls.log->written_inside.substr(0, 50), "EHLO client.example\r\nAUTH PLAIN AHVzZXIAc2VjcmV0\r\n");
  EXPECT_EQ(count(r.transcript.written, "AUTH"), 1u);
  for (const auto& rc : r.result.recipients) EXPECT_EQ(rc.outcome, Outcome::sent) << rc.diagnostic;
}

TEST(SmtpClient, AuthRefusedDefersEverything) {
  auto s = base_settings();
  s.auth = Credentials{"user", "wrong"};
  s.auth_needs_tls = false;
  auto env = two_rcpts();
  auto r = harness::run({"220 mx\r\n", "250-mx\r\n250 AUTH LOGIN\r\n", "334 VXNlcm5hbWU6\r\n", "334 UGFzc3dvcmQ6\r\n",
                         "535 5.7.8 Error: authentication failed\r\n", "221 Bye\r\n"},
                        s, env, kContent);
  for (const auto& rc : r.result.recipients) {
    EXPECT_EQ(rc.outcome, Outcome::deferred);
    EXPECT_EQ(rc.dsn, "4.7.8");
    EXPECT_EQ(rc.diagnostic,
              "SASL authentication failed; server mx.example.com[192.0.2.1] said: 535 5.7.8 Error: authentication "
              "failed");
  }
  EXPECT_EQ(count(r.transcript.written, "AUTH LOGIN\r\ndXNlcg==\r\nd3Jvbmc=\r\n"), 1u);
  EXPECT_EQ(count(r.transcript.written, "MAIL"), 0u);
}

TEST(SmtpClient, EndlessLoginChallengesEnd) {
  auto s = base_settings();
  s.auth = Credentials{"user", "pw"};
  s.auth_needs_tls = false;
  auto env = two_rcpts();
  std::deque<Segment> script = {"220 mx\r\n", "250-mx\r\n250 AUTH LOGIN\r\n"};
  for (int i = 0; i < 100; ++i) script.push_back("334 VXNlcm5hbWU6\r\n");
  auto r = harness::run(script, s, env, kContent);
  ASSERT_TRUE(r.finished);
  EXPECT_EQ(count(r.transcript.written, "*\r\n"), 1u);
  for (const auto& rc : r.result.recipients) {
    EXPECT_EQ(rc.outcome, Outcome::deferred);
    EXPECT_EQ(rc.diagnostic, "SASL authentication failed; server mx.example.com[192.0.2.1] sent too many challenges");
  }
}

TEST(SmtpClient, VerifyRefusesAnUnverifiedCertificate) {
  auto s = base_settings();
  harness::FakeTlsClient tls;
  tls.trust = io::TlsSummary::Trust::trusted;
  s.tls = TlsLevel::verify;
  s.tls_client = &tls;
  auto env = two_rcpts();
  auto r = harness::run({"220 mx\r\n", "250-mx\r\n250 STARTTLS\r\n", "220 Ready\r\n", "", std::string(1, kHello),
                         "221 Bye\r\n"},
                        s, env, kContent);
  EXPECT_TRUE(tls.log->mandatory);
  for (const auto& rc : r.result.recipients) {
    EXPECT_EQ(rc.outcome, Outcome::deferred);
    EXPECT_EQ(rc.dsn, "4.7.5");
    EXPECT_EQ(rc.diagnostic.rfind("Server certificate not verified", 0), 0u);
  }
  EXPECT_TRUE(r.result.try_next_host);
  EXPECT_EQ(count(r.transcript.written, "MAIL"), 0u);
}

TEST(SmtpClient, HandshakeFailureAtMayIsReported) {
  auto s = base_settings();
  harness::FakeTlsClient tls;
  s.tls_client = &tls;
  s.tls = TlsLevel::may;
  auto env = two_rcpts();
  auto r = harness::run({"220 mx\r\n", "250-mx\r\n250 STARTTLS\r\n", "220 Ready\r\n", "", "garbage"}, s, env, kContent);
  EXPECT_TRUE(r.result.tls_handshake_failed);
  EXPECT_TRUE(r.result.try_next_host);
  for (const auto& rc : r.result.recipients) EXPECT_EQ(rc.dsn, "4.7.5");
}

TEST(SmtpClient, StarttlsRefusedAtMayGoesOnInPlaintext) {
  auto s = base_settings();
  harness::FakeTlsClient tls;
  s.tls_client = &tls;
  s.tls = TlsLevel::may;
  Envelope env = two_rcpts();
  env.recipients.resize(1);
  auto r = harness::run({"220 mx\r\n", "250-mx\r\n250 STARTTLS\r\n", "454 4.7.0 TLS not available\r\n", "250 Ok\r\n",
                         "250 Ok\r\n", "354 go\r\n", "250 Ok\r\n", "221 Bye\r\n"},
                        s, env, kContent);
  EXPECT_EQ(r.result.recipients[0].outcome, Outcome::sent);
  EXPECT_EQ(tls.log->handshakes, 0);
}

TEST(SmtpClient, HeloFallbackAfterEhlo5xx) {
  auto s = base_settings();
  Envelope env = two_rcpts();
  env.recipients.resize(1);
  env.eightbit = true;
  auto r = harness::run({"220 mx\r\n", "502 5.5.2 Error: command not recognized\r\n", "250 mx\r\n", "250 Ok\r\n",
                         "250 Ok\r\n", "354 go\r\n", "250 Ok\r\n", "221 Bye\r\n"},
                        s, env, "8bit \xc3\xa9\n");
  EXPECT_EQ(r.result.recipients[0].outcome, Outcome::sent);
  // No extensions after HELO: no SIZE=, no BODY=, the 8-bit content as it is.
  EXPECT_EQ(r.transcript.written,
            "EHLO client.example\r\nHELO client.example\r\nMAIL FROM:<s@example.org>\r\nRCPT TO:<a@example.com>\r\n"
            "DATA\r\n8bit \xc3\xa9\r\n.\r\nQUIT\r\n");
}

TEST(SmtpClient, GreetingRefusedTriesNextHost) {
  auto s = base_settings();
  auto env = two_rcpts();
  auto r = harness::run({"554 5.7.1 go away\r\n", "221 Bye\r\n"}, s, env, kContent);
  EXPECT_TRUE(r.result.try_next_host);
  for (const auto& rc : r.result.recipients) {
    EXPECT_EQ(rc.outcome, Outcome::deferred);
    EXPECT_EQ(rc.dsn, "4.7.1");
    EXPECT_EQ(rc.diagnostic, "host mx.example.com[192.0.2.1] refused to talk to me: 554 5.7.1 go away");
  }
}

TEST(SmtpClient, ChunkingSendsBdatWithoutDotStuffing) {
  auto s = base_settings();
  Envelope env = two_rcpts();
  auto r = harness::run({"220 mx\r\n", "250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n", "250 Ok\r\n", "250 Ok\r\n",
                         "550 5.1.1 no\r\n", "250 2.0.0 Ok: queued\r\n", "221 Bye\r\n"},
                        s, env, kContent);
  EXPECT_EQ(r.transcript.written,
            "EHLO client.example\r\nMAIL FROM:<s@example.org>\r\nRCPT TO:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n"
            "BDAT 32 LAST\r\nSubject: hi\r\n\r\n.dot line\r\nbody\r\nQUIT\r\n");
  EXPECT_EQ(r.result.recipients[0].outcome, Outcome::sent);
  EXPECT_EQ(r.result.recipients[1].outcome, Outcome::bounced);
}

TEST(SmtpClient, ChunkingInSeveralChunks) {
  auto s = base_settings();
  s.bdat_chunk_bytes = 20;
  Envelope env = two_rcpts();
  env.recipients.resize(1);
  auto r = harness::run({"220 mx\r\n", "250-mx\r\n250 CHUNKING\r\n", "250 Ok\r\n", "250 Ok\r\n", "250 Ok 20\r\n",
                         "250 Ok: queued\r\n", "221 Bye\r\n"},
                        s, env, kContent);
  EXPECT_EQ(count(r.transcript.written, "BDAT 20\r\n"), 1u);
  EXPECT_EQ(count(r.transcript.written, "BDAT 12 LAST\r\n"), 1u);
  EXPECT_EQ(r.result.recipients[0].outcome, Outcome::sent);
  EXPECT_EQ(r.result.recipients[0].diagnostic, "250 Ok: queued");
}

TEST(SmtpClient, NoRecipientAcceptedNeverSendsContent) {
  auto s = base_settings();
  auto env = two_rcpts();
  auto r = harness::run({"220 mx\r\n", kEhloPipe, "250 Ok\r\n", "550 5.1.1 no\r\n", "550 5.1.1 no\r\n",
                         "354 go\r\n", "554 5.5.1 no valid recipients\r\n", "221 Bye\r\n"},
                        s, env, kContent);
  EXPECT_EQ(count(r.transcript.written, "Subject"), 0u);
  EXPECT_EQ(count(r.transcript.written, "DATA\r\n.\r\nQUIT\r\n"), 1u);
  for (const auto& rc : r.result.recipients) EXPECT_EQ(rc.outcome, Outcome::bounced);
}

TEST(SmtpClient, RefusedDataNeverSendsContent) {
  auto s = base_settings();
  auto env = two_rcpts();
  auto r = harness::run({"220 mx\r\n", kEhloPipe, "250 Ok\r\n", "250 Ok\r\n", "250 Ok\r\n",
                         "451 4.3.0 try later\r\n", "221 Bye\r\n"},
                        s, env, kContent);
  EXPECT_EQ(count(r.transcript.written, "Subject"), 0u);
  for (const auto& rc : r.result.recipients) {
    EXPECT_EQ(rc.outcome, Outcome::deferred);
    EXPECT_NE(rc.diagnostic.find("(in reply to DATA command)"), std::string::npos);
  }
}

TEST(SmtpClient, GarbageReplyDefersWithAReason) {
  auto s = base_settings();
  auto env = two_rcpts();
  auto r = harness::run({"220 mx\r\n", kEhloPlain, std::string("\x01\xff garbage\0\r\n", 13), "221 Bye\r\n"}, s, env,
                        kContent);
  ASSERT_TRUE(r.finished);
  for (const auto& rc : r.result.recipients) {
    EXPECT_EQ(rc.outcome, Outcome::deferred);
    EXPECT_EQ(rc.diagnostic.rfind("protocol error with mx.example.com[192.0.2.1] while sending MAIL FROM: malformed reply: ", 0), 0u)
        << rc.diagnostic;
  }
  EXPECT_TRUE(r.result.try_next_host);
}

TEST(SmtpClient, DsnParametersOnlyWhenOffered) {
  auto s = base_settings();
  Envelope env = two_rcpts();
  env.recipients = {{"a@example.com", "SUCCESS,FAILURE", "rfc822;a@example.com"}};
  env.ret = "HDRS";
  env.envid = "ID 1";
  auto with = harness::run({"220 mx\r\n", "250-mx\r\n250 DSN\r\n", "250 Ok\r\n", "250 Ok\r\n", "354 go\r\n",
                            "250 Ok\r\n", "221 Bye\r\n"},
                           s, env, kContent);
  EXPECT_EQ(count(with.transcript.written, "MAIL FROM:<s@example.org> RET=HDRS ENVID=ID+201\r\n"), 1u)
      << with.transcript.written;
  EXPECT_EQ(count(with.transcript.written, "RCPT TO:<a@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@example.com"),
            1u)
      << with.transcript.written;
  EXPECT_FALSE(with.result.recipients[0].relayed);
  auto without = harness::run(
      {"220 mx\r\n", kEhloPlain, "250 Ok\r\n", "250 Ok\r\n", "354 go\r\n", "250 Ok\r\n", "221 Bye\r\n"}, s, env,
      kContent);
  EXPECT_EQ(count(without.transcript.written, "NOTIFY"), 0u);
  EXPECT_TRUE(without.result.recipients[0].relayed);
}

TEST(SmtpClient, BadRecipientAddressNeverReachesTheWire) {
  auto s = base_settings();
  Envelope env = two_rcpts();
  env.recipients[0].address = "b\xc3\xa9@example.com";  // non-ASCII, no SMTPUTF8
  auto r = harness::run({"220 mx\r\n", kEhloPipe, "250 Ok\r\n", "250 Ok\r\n", "354 go\r\n", "250 Ok\r\n",
                         "221 Bye\r\n"},
                        s, env, kContent);
  EXPECT_EQ(r.result.recipients[0].outcome, Outcome::bounced);
  EXPECT_EQ(r.result.recipients[0].dsn, "5.6.7");
  EXPECT_EQ(r.result.recipients[1].outcome, Outcome::sent);
  EXPECT_EQ(count(r.transcript.written, "RCPT TO"), 1u);
}

// The connection cache's sessions: transactions one after another.
Envelope one_rcpt(const std::string& to) {
  Envelope e;
  e.sender = "s@example.org";
  e.recipients = {{to, "", ""}};
  return e;
}

TEST(SmtpClientReuse, TwoMessagesOverOneConnection) {
  auto r = harness::run_reuse({"220 mx\r\n", kEhloPipe, "250 2.1.0 Ok\r\n", "250 2.1.5 Ok\r\n", "354 go\r\n",
                               "250 2.0.0 Ok: queued as A\r\n", "250 2.1.0 Ok\r\n", "250 2.1.5 Ok\r\n",
                               "354 go\r\n", "250 2.0.0 Ok: queued as B\r\n", "221 Bye\r\n"},
                              base_settings(), {one_rcpt("a@example.com"), one_rcpt("b@example.com")}, kContent);
  ASSERT_TRUE(r.opened);
  ASSERT_EQ(r.results.size(), 2u);
  EXPECT_EQ(r.results[0].recipients[0].diagnostic, "250 2.0.0 Ok: queued as A");
  EXPECT_EQ(r.results[1].recipients[0].diagnostic, "250 2.0.0 Ok: queued as B");
  EXPECT_EQ(r.reusable_after, (std::vector<bool>{true, true}));
  EXPECT_EQ(count(r.transcript.written, "EHLO"), 1u);
  EXPECT_EQ(count(r.transcript.written, "MAIL FROM"), 2u);
  EXPECT_EQ(count(r.transcript.written, "RSET"), 0u);  // a finished transaction needs none
  EXPECT_EQ(count(r.transcript.written, "QUIT"), 1u);
}

TEST(SmtpClientReuse, RsetAfterEveryRecipientRefusedThenTheNextMessageGoes) {
  auto r = harness::run_reuse({"220 mx\r\n", kEhloPlain, "250 2.1.0 Ok\r\n", "550 5.1.1 no such user\r\n",
                               "250 2.0.0 Reset\r\n", "250 2.1.0 Ok\r\n", "250 2.1.5 Ok\r\n", "354 go\r\n",
                               "250 2.0.0 Ok: queued as B\r\n", "221 Bye\r\n"},
                              base_settings(), {one_rcpt("gone@example.com"), one_rcpt("b@example.com")}, kContent);
  ASSERT_EQ(r.results.size(), 2u);
  EXPECT_EQ(r.results[0].recipients[0].outcome, Outcome::bounced);
  EXPECT_EQ(r.results[1].recipients[0].outcome, Outcome::sent);
  EXPECT_NE(r.transcript.written.find("RCPT TO:<gone@example.com>\r\nRSET\r\nMAIL FROM"), std::string::npos)
      << r.transcript.written;
}

TEST(SmtpClientReuse, RefusedRsetOr421EndsReuse) {
  auto r = harness::run_reuse({"220 mx\r\n", kEhloPlain, "451 4.3.0 not now\r\n", "500 5.5.1 what\r\n"},
                              base_settings(), {one_rcpt("a@example.com"), one_rcpt("b@example.com")}, kContent);
  ASSERT_EQ(r.results.size(), 1u);  // MAIL refused, RSET refused: not reused
  EXPECT_EQ(r.reusable_after, (std::vector<bool>{false}));
  auto h = harness::run_reuse({"220 mx\r\n", kEhloPlain, "250 2.1.0 Ok\r\n", "421 4.3.2 shutting down\r\n"},
                              base_settings(), {one_rcpt("a@example.com"), one_rcpt("b@example.com")}, kContent);
  ASSERT_EQ(h.results.size(), 1u);
  EXPECT_EQ(h.results[0].recipients[0].outcome, Outcome::deferred);
  EXPECT_EQ(count(h.transcript.written, "QUIT"), 0u);  // the server hung up
}

TEST(SmtpClientReuse, AServerThatSpokeWhileIdleIsNotReused) {
  // A 421 for an idle timeout arrives between the transactions: the
  // session is not still_open(), so the cache drops it rather than read
  // the 421 as the next MAIL's reply.
  auto r = harness::run_reuse({"220 mx\r\n", kEhloPlain, "250 2.1.0 Ok\r\n", "250 2.1.5 Ok\r\n", "354 go\r\n",
                               "250 2.0.0 Ok: queued as A\r\n", "421 4.4.2 mx Error: timeout exceeded\r\n"},
                              base_settings(), {one_rcpt("a@example.com")}, kContent);
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_TRUE(r.reusable_after[0]);
  EXPECT_FALSE(r.still_open_after[0]);
}

TEST(SmtpClientReuse, AConnectionClosedWhileIdleIsStaleNotTheHostsFault) {
  // The server closed (end of script) before the second MAIL was answered.
  auto r = harness::run_reuse({"220 mx\r\n", kEhloPlain, "250 2.1.0 Ok\r\n", "250 2.1.5 Ok\r\n", "354 go\r\n",
                               "250 2.0.0 Ok: queued as A\r\n"},
                              base_settings(), {one_rcpt("a@example.com"), one_rcpt("b@example.com")}, kContent);
  ASSERT_EQ(r.results.size(), 2u);
  EXPECT_EQ(r.results[0].recipients[0].outcome, Outcome::sent);
  EXPECT_TRUE(r.stale);
  EXPECT_EQ(r.results[1].recipients[0].outcome, Outcome::deferred);
}

TEST(SmtpClientContent, WireForms) {
  EXPECT_EQ(wire_form("a\n.b\r\nc", true), "a\r\n..b\r\nc\r\n.\r\n");
  EXPECT_EQ(wire_form("a\n.b\r\nc", false), "a\r\n.b\r\nc\r\n");
  EXPECT_EQ(wire_size("a\n.b\r\nc"), 10u);
  EXPECT_EQ(wire_form("", true), ".\r\n");
  EXPECT_EQ(wire_form("x\r", false), "x\r\r\n");  // a CR not before LF is content
  EXPECT_EQ(wire_size("x\r"), 4u);
}

TEST(SmtpClientSettings, FromConfig) {
  auto loaded = config::load_string(
      "myhostname = relay.example\nsmtp_mail_timeout = 1m\nsmtp_discard_ehlo_keywords = pipelining, DSN\n"
      "smtp_sasl_security_options = noanonymous\n",
      "main.cf");
  ASSERT_TRUE(loaded.ok());
  Settings s = read_settings(*loaded.config);
  EXPECT_EQ(s.helo_name, "relay.example");
  EXPECT_EQ(s.mail_timeout, seconds(60));
  EXPECT_EQ(s.data_done_timeout, seconds(600));
  EXPECT_FALSE(s.pipelining);
  EXPECT_TRUE(s.chunking);
  EXPECT_FALSE(s.auth_needs_tls);
  EXPECT_EQ(s.discard_ehlo_keywords, (std::vector<std::string>{"pipelining", "dsn"}));
}

}  // namespace
}  // namespace tern::smtp::client
