// POP3 session tests over the harness (memory streams, MemoryStore, fake
// verifier: alice@virt.test/secret, bob@virt.test/hunter2): every command,
// the states, and the unlucky cases: commands before login, RETR of a
// deleted message, DELE twice, a dropped connection (nothing deleted), a
// second session on the same maildrop, TOP with a huge count, a 10 MB line,
// failed logins, STLS with pipelined plaintext, failures of the store.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pop3/server/session_harness.h"
#include "sasl/base64.h"
#include "smtp/server/fake_tls.h"  // the protocol-free fake TLS layer (test only)

namespace tern::pop3 {
namespace {

using testing::FakeHost;
using V = std::vector<std::string>;

// The client waits for each reply: a pause after every command.
std::deque<io::Segment> script(std::initializer_list<std::string> cmds, bool quit = true) {
  std::deque<io::Segment> in{""};
  for (const auto& c : cmds) {
    in.push_back(c + "\r\n");
    in.push_back("");
  }
  if (quit) in.push_back("QUIT\r\n");
  return in;
}

const std::string kMsg1 = "Subject: one\nFrom: a@b.example\n\nline 1\n.line 2\n.\nline 4\n";
const std::string kMsg2 = "Subject: two\r\n\r\nbody\r\n";

void add_mail(FakeHost& h, const std::string& user = "alice@virt.test") {
  h.store->accounts[user].messages = {{"uid-1", kMsg1}, {"uid-2", kMsg2}};
}

TEST(Pop3Session, GreetingCapaAndQuitInAuthorization) {
  FakeHost h;
  add_mail(h);
  auto t = testing::run(h, script({"CAPA"}));
  EXPECT_TRUE(t.written.starts_with("+OK pop.test.example POP3 server ready\r\n"));
  EXPECT_NE(t.written.find("+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
                           "PIPELINING\r\nUSER\r\nSASL PLAIN LOGIN\r\n.\r\n"),
            std::string::npos);
  EXPECT_EQ(testing::statuses(t.written), (V{"+OK", "+OK", "+OK"}));
  EXPECT_TRUE(t.closed);
  EXPECT_EQ(h.store->accounts["alice@virt.test"].commits, 0);
  EXPECT_EQ(h.live, 0);
}

TEST(Pop3Session, CommandsBeforeLoginAreRefused) {
  FakeHost h;
  add_mail(h);
  auto t = testing::run(h, script({"STAT", "LIST", "RETR 1", "DELE 1", "NOOP", "PASS secret", "APOP alice@virt.test 0123"}));
  EXPECT_EQ(testing::statuses(t.written), (V{"+OK", "-ERR", "-ERR", "-ERR", "-ERR", "-ERR", "-ERR", "-ERR", "+OK"}));
  EXPECT_NE(t.written.find("-ERR Not logged in\r\n"), std::string::npos);
  EXPECT_NE(t.written.find("-ERR No username given.\r\n"), std::string::npos);
  EXPECT_NE(t.written.find("-ERR APOP not supported\r\n"), std::string::npos);
  EXPECT_EQ(h.verifier->calls, 0);
  EXPECT_EQ(h.store->accounts["alice@virt.test"].messages.size(), 2u);
}

TEST(Pop3Session, StatListUidlRetrTop) {
  FakeHost h;
  add_mail(h);
  uint64_t s1 = testing::pop3_size(kMsg1), s2 = testing::pop3_size(kMsg2);
  auto t = testing::run(h, script({"USER alice@virt.test", "PASS secret", "STAT", "LIST", "LIST 2", "UIDL", "UIDL 1",
                                   "RETR 1", "TOP 1 1", "TOP 2 0", "NOOP", "USER x", "STLS"}));
  EXPECT_EQ(testing::statuses(t.written), (V{"+OK", "+OK", "+OK", "+OK", "+OK", "+OK", "+OK", "+OK", "+OK", "+OK",
                                             "+OK", "+OK", "-ERR", "-ERR", "+OK"}));
  const std::string& w = t.written;
  EXPECT_NE(w.find(fmt::format("+OK 2 {}\r\n", s1 + s2)), std::string::npos);
  EXPECT_NE(w.find(fmt::format("+OK 2 messages ({} octets)\r\n1 {}\r\n2 {}\r\n.\r\n", s1 + s2, s1, s2)), std::string::npos);
  EXPECT_NE(w.find(fmt::format("+OK 2 {}\r\n", s2)), std::string::npos);
  EXPECT_NE(w.find("+OK\r\n1 uid-1\r\n2 uid-2\r\n.\r\n"), std::string::npos);
  EXPECT_NE(w.find("+OK 1 uid-1\r\n"), std::string::npos);
  EXPECT_NE(w.find(fmt::format("+OK {} octets\r\nSubject: one\r\nFrom: a@b.example\r\n\r\nline 1\r\n..line 2\r\n..\r\n"
                               "line 4\r\n.\r\n",
                               s1)),
            std::string::npos);
  EXPECT_NE(w.find("+OK\r\nSubject: one\r\nFrom: a@b.example\r\n\r\nline 1\r\n.\r\n"), std::string::npos);
  EXPECT_NE(w.find("+OK\r\nSubject: two\r\n\r\n.\r\n"), std::string::npos);
  EXPECT_NE(w.find("-ERR Already logged in\r\n"), std::string::npos);
  EXPECT_EQ(h.store->accounts["alice@virt.test"].commits, 0);  // QUIT with nothing marked
  EXPECT_EQ(h.store->accounts["alice@virt.test"].seen, V{"uid-1"});  // RETR, not TOP, marks \Seen at QUIT
  EXPECT_TRUE(h.recent.recent("192.0.2.7", std::chrono::seconds(60)));
}

TEST(Pop3Session, DeleteRsetAndQuitCommits) {
  FakeHost h;
  add_mail(h);
  auto t = testing::run(h, script({"USER alice@virt.test", "PASS secret", "DELE 1", "DELE 1", "RETR 1", "TOP 1 5",
                                   "LIST 1", "UIDL 1", "STAT", "LIST", "RSET", "STAT", "RETR 2", "DELE 2"}));
  EXPECT_EQ(testing::statuses(t.written), (V{"+OK", "+OK", "+OK", "+OK", "-ERR", "-ERR", "-ERR", "-ERR", "-ERR",
                                             "+OK", "+OK", "+OK", "+OK", "+OK", "+OK", "+OK"}));
  EXPECT_NE(t.written.find("-ERR Message 1 already deleted\r\n"), std::string::npos);
  uint64_t s1 = testing::pop3_size(kMsg1), s2 = testing::pop3_size(kMsg2);
  EXPECT_NE(t.written.find(fmt::format("+OK 1 {}\r\n", s2)), std::string::npos);  // STAT without the marked one
  EXPECT_NE(t.written.find(fmt::format("+OK 1 messages ({} octets)\r\n2 {}\r\n.\r\n", s2, s2)), std::string::npos);
  EXPECT_NE(t.written.find(fmt::format("+OK maildrop has 2 messages ({} octets)\r\n", s1 + s2)), std::string::npos);
  EXPECT_TRUE(t.written.ends_with("+OK Logging out, 1 messages deleted\r\n"));
  auto& a = h.store->accounts["alice@virt.test"];
  ASSERT_EQ(a.messages.size(), 1u);
  EXPECT_EQ(a.messages[0].uid, "uid-1");  // RSET undid DELE 1; only DELE 2 counted
  EXPECT_TRUE(a.seen.empty());  // the one retrieved is deleted: nothing to mark
  EXPECT_FALSE(a.locked);
}

TEST(Pop3Session, DroppedConnectionDeletesNothing) {
  FakeHost h;
  add_mail(h);
  auto t = testing::run(h, script({"USER alice@virt.test", "PASS secret", "RETR 1", "DELE 1", "DELE 2"}, /*quit=*/false));
  EXPECT_EQ(testing::statuses(t.written), (V{"+OK", "+OK", "+OK", "+OK", "+OK", "+OK"}));
  auto& a = h.store->accounts["alice@virt.test"];
  EXPECT_EQ(a.messages.size(), 2u);
  EXPECT_EQ(a.commits, 0);
  EXPECT_TRUE(a.seen.empty());  // no QUIT: no flag changes either
  EXPECT_FALSE(a.locked);
  // A timeout: the same.
  FakeHost h2;
  add_mail(h2);
  auto in = script({"USER alice@virt.test", "PASS secret", "DELE 1"}, false);
  in.push_back(io::Segment::stall());
  auto t2 = testing::run(h2, in);
  EXPECT_FALSE(h2.hung);
  EXPECT_TRUE(t2.written.ends_with("-ERR Disconnected for inactivity\r\n"));
  EXPECT_EQ(h2.store->accounts["alice@virt.test"].messages.size(), 2u);
  EXPECT_FALSE(h2.store->accounts["alice@virt.test"].locked);
}

TEST(Pop3Session, SecondSessionOnTheSameMaildropIsInUse) {
  FakeHost h;
  add_mail(h);
  add_mail(h, "bob@virt.test");
  // The first holds the lock while the second logs in (it waits 5 s before QUIT).
  auto first = script({"USER alice@virt.test", "PASS secret", "DELE 1"}, false);
  first.push_back(io::Segment::after(std::chrono::seconds(5)));
  first.push_back("QUIT\r\n");
  auto second = std::deque<io::Segment>{io::Segment::after(std::chrono::seconds(1)),
                                        "USER alice@virt.test\r\n", "", "PASS secret\r\n", "",
                                        "USER bob@virt.test\r\n", "", "PASS hunter2\r\n", "", "STAT\r\n", "",
                                        "QUIT\r\n"};
  auto ts = testing::run_all(h, {{first}, {second}});
  EXPECT_EQ(testing::statuses(ts[0].written), (V{"+OK", "+OK", "+OK", "+OK", "+OK"}));
  EXPECT_EQ(testing::statuses(ts[1].written), (V{"+OK", "+OK", "-ERR [IN-USE]", "+OK", "+OK", "+OK", "+OK"}));
  EXPECT_NE(ts[1].written.find("-ERR [IN-USE] Mailbox is locked by another POP3 session\r\n"), std::string::npos);
  EXPECT_EQ(h.store->accounts["alice@virt.test"].messages.size(), 1u);
  // After the first ended, the lock is free again.
  auto t = testing::run(h, script({"USER alice@virt.test", "PASS secret", "STAT"}));
  EXPECT_EQ(testing::statuses(t.written), (V{"+OK", "+OK", "+OK", "+OK", "+OK"}));
}

TEST(Pop3Session, TopWithHugeCountAndHostileMessages) {
  FakeHost h;
  // A message without a final line end, lone dots, a "+OK" line, CR alone.
  const std::string msg = "A: b\n\n.\n+OK fake\r\n..\nx\ry";
  h.store->accounts["alice@virt.test"].messages = {{"u1", msg}};
  auto t = testing::run(h, script({"USER alice@virt.test", "PASS secret", "TOP 1 99999999999999999999", "RETR 1",
                                   "TOP 1 2147483648", "RETR 2", "RETR 2147483649", "LIST 0"}));
  std::string body = "A: b\r\n\r\n..\r\n+OK fake\r\n...\r\nx\ry\r\n.\r\n";
  EXPECT_NE(t.written.find("+OK\r\n" + body + "+OK " + std::to_string(testing::pop3_size(msg)) + " octets\r\n" + body + "+OK\r\n" + body +
                           "-ERR No such message\r\n-ERR Invalid message number\r\n-ERR Invalid message number\r\n"),
            std::string::npos)
      << t.written;
}

TEST(Pop3Session, LargeMessageIsStreamedInChunks) {
  FakeHost h;
  std::string big = "Subject: big\n\n";
  while (big.size() < 3'000'000) big += ".a line that starts with a dot and is long enough to matter\n";
  h.store->accounts["alice@virt.test"].messages = {{"big", big}};
  auto t = testing::run(h, script({"USER alice@virt.test", "PASS secret", "RETR 1"}));
  size_t start = t.written.find("+OK " + std::to_string(testing::pop3_size(big)) + " octets\r\n");
  ASSERT_NE(start, std::string::npos);
  size_t end = t.written.find("\r\n.\r\n", start);
  ASSERT_NE(end, std::string::npos);
  size_t lines = static_cast<size_t>(std::count(big.begin(), big.end(), '\n'));
  // Every line gained a CR; every body line a stuffed dot.
  EXPECT_EQ(end + 2 - (t.written.find("\r\n", start) + 2), big.size() + lines + (lines - 2));
  EXPECT_TRUE(t.written.ends_with("+OK Logging out\r\n"));
}

TEST(Pop3Session, LongLinesAndFloods) {
  FakeHost h;
  add_mail(h);
  // A 300-byte line: -ERR and the session goes on.
  auto t = testing::run(h, script({"USER " + std::string(300, 'a'), "NOOP"}));
  EXPECT_EQ(testing::statuses(t.written), (V{"+OK", "-ERR", "-ERR", "+OK"}));
  EXPECT_NE(t.written.find("-ERR Command line too long\r\n"), std::string::npos);
  // A 10 MB line with no LF: cut off.
  FakeHost h2;
  std::deque<io::Segment> in{""};
  for (int i = 0; i < 160; ++i) in.push_back(std::string(65536, 'x'));
  in.push_back("\r\nNOOP\r\n");
  auto t2 = testing::run(h2, in);
  EXPECT_EQ(testing::statuses(t2.written), (V{"+OK", "-ERR", "-ERR"}));
  EXPECT_TRUE(t2.written.ends_with("-ERR Command line too long\r\n"));
  EXPECT_TRUE(t2.closed);
}

TEST(Pop3Session, TooManyBadCommands) {
  FakeHost h;
  std::deque<io::Segment> in{""};
  for (int i = 0; i < 30; ++i) in.push_back("BOGUS\r\n");
  auto t = testing::run(h, in);
  EXPECT_EQ(std::count(t.written.begin(), t.written.end(), '\n'), 1 + kMaxBadCommands + 1);
  EXPECT_TRUE(t.written.ends_with("-ERR Unknown command\r\n-ERR Too many bad commands\r\n"));
}

TEST(Pop3Session, FailedLoginsAreCountedAndCutOff) {
  FakeHost h;
  add_mail(h);
  auto t = testing::run(h, script({"USER alice@virt.test", "PASS wrong", "USER nobody@virt.test", "PASS x",
                                   "USER tempfail@virt.test", "PASS x", "USER alice@virt.test", "PASS wrong",
                                   "USER alice@virt.test", "PASS wrong", "USER alice@virt.test", "PASS secret"}));
  EXPECT_EQ(testing::statuses(t.written), (V{"+OK", "+OK", "-ERR [AUTH]", "+OK", "-ERR [AUTH]", "+OK",
                                             "-ERR [SYS/TEMP]", "+OK", "-ERR [AUTH]", "+OK", "-ERR [AUTH]"}));
  EXPECT_TRUE(t.written.ends_with("-ERR [AUTH] Too many authentication failures\r\n"));
  EXPECT_FALSE(h.recent.recent("192.0.2.7", std::chrono::seconds(60)));
  // The address is remembered: the next connection is refused at once,
  // without asking the verifier; another address is not.
  int calls = h.verifier->calls;
  auto again = testing::run(h, script({"USER alice@virt.test", "PASS secret"}));
  EXPECT_TRUE(again.written.ends_with("+OK\r\n-ERR [AUTH] Too many authentication failures\r\n"));
  EXPECT_EQ(h.verifier->calls, calls);
  auto other = testing::run(h, script({"USER alice@virt.test", "PASS secret"}), "192.0.2.8");
  EXPECT_EQ(testing::statuses(other.written), (V{"+OK", "+OK", "+OK", "+OK"}));
}

TEST(Pop3Session, FailedLoginIsSlowed) {
  FakeHost h;
  add_mail(h);
  h.edit().settings.failure_sleep = std::chrono::seconds(2);
  auto t = testing::run(h, script({"USER alice@virt.test", "PASS wrong", "USER alice@virt.test", "PASS wrong"}));
  EXPECT_EQ(testing::statuses(t.written), (V{"+OK", "+OK", "-ERR [AUTH]", "+OK", "-ERR [AUTH]", "+OK"}));
  // 2 s, then 4 s (doubling), in the fake clock's time.
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(t.closed_at.time_since_epoch()).count(), 6);
}

TEST(Pop3Session, AuthPlainAndLogin) {
  FakeHost h;
  add_mail(h);
  add_mail(h, "bob@virt.test");
  auto t = testing::run(h, script({"AUTH", "AUTH PLAIN " + sasl::client_plain_response("alice@virt.test", "secret"), "STAT"}));
  EXPECT_EQ(testing::statuses(t.written), (V{"+OK", "+OK", "+OK", "+OK", "+OK"}));
  EXPECT_NE(t.written.find("+OK\r\nPLAIN\r\nLOGIN\r\n.\r\n"), std::string::npos);
  auto l = testing::run(h, script({"AUTH LOGIN", sasl::base64_encode("bob@virt.test"), sasl::base64_encode("hunter2"),
                                   "STAT"}));
  EXPECT_EQ(testing::statuses(l.written), (V{"+OK", "+", "+", "+OK", "+OK", "+OK"}));
  auto e = testing::run(h, script({"AUTH CRAM-MD5", "AUTH PLAIN", "*", "AUTH PLAIN", "!!!", "AUTH PLAIN",
                                   std::string(20000, 'A'), "AUTH PLAIN =", "STAT"}));
  EXPECT_EQ(testing::statuses(e.written), (V{"+OK", "-ERR", "+", "-ERR", "+", "-ERR", "+", "-ERR", "-ERR [AUTH]",
                                             "-ERR", "+OK"}));
  EXPECT_NE(e.written.find("-ERR Authentication response too long\r\n"), std::string::npos);
}

TEST(Pop3Session, PlaintextRefusedOutsideTlsButOnLoopback) {
  FakeHost h;
  add_mail(h);
  h.edit().settings.tls_auth_only = true;
  auto t = testing::run(h, script({"CAPA", "USER alice@virt.test", "PASS secret",
                                   "AUTH PLAIN " + sasl::client_plain_response("alice@virt.test", "secret")}));
  EXPECT_EQ(t.written.find("USER\r\n"), std::string::npos);
  EXPECT_EQ(t.written.find("SASL"), std::string::npos);
  EXPECT_EQ(testing::statuses(t.written), (V{"+OK", "+OK", "-ERR [AUTH]", "-ERR [AUTH]", "-ERR [AUTH]", "+OK"}));
  EXPECT_EQ(h.verifier->calls, 0);
  auto local = testing::run(h, script({"USER alice@virt.test", "PASS secret"}), "127.0.0.1");
  EXPECT_EQ(testing::statuses(local.written), (V{"+OK", "+OK", "+OK", "+OK"}));
}

TEST(Pop3Session, StlsDiscardsPipelinedPlaintext) {
  FakeHost h;
  add_mail(h);
  h.edit().settings.tls_auth_only = true;
  auto tls = std::make_shared<smtp::harness::FakeTlsServer>();
  h.edit().tls = tls;
  std::deque<io::Segment> in{"", "CAPA\r\n", "", "USER alice@virt.test\r\n", "",
                             "STLS\r\nUSER alice@virt.test\r\nPASS secret\r\n", std::string(1, smtp::harness::kHello),
                             "CAPA\r\n", "", "PASS secret\r\n", "", "STLS\r\n", "", "USER alice@virt.test\r\n", "",
                             "PASS secret\r\n", "", "QUIT\r\n"};
  auto t = testing::run(h, in);
  EXPECT_TRUE(tls->log->handshake_ok);
  EXPECT_EQ(tls->log->read_inside.find("PASS secret\r\nUSER"), std::string::npos);  // the pipelined bytes never reach TLS
  EXPECT_EQ(testing::statuses(t.written), (V{"+OK", "+OK", "-ERR [AUTH]", "+OK", "+OK", "-ERR", "-ERR", "+OK", "+OK", "+OK"}));
  EXPECT_NE(t.written.find("STLS\r\n"), std::string::npos);  // offered before TLS
  EXPECT_EQ(tls->log->written_inside.find("STLS\r\n"), std::string::npos);  // not inside
  EXPECT_NE(tls->log->written_inside.find("USER\r\nSASL PLAIN LOGIN\r\n"), std::string::npos);
  EXPECT_NE(t.written.find("-ERR No username given.\r\n"), std::string::npos);
  EXPECT_NE(t.written.find("-ERR TLS already active\r\n"), std::string::npos);
  // A failed handshake closes.
  FakeHost h2;
  h2.edit().tls = std::make_shared<smtp::harness::FakeTlsServer>();
  auto f = testing::run(h2, {"", "STLS\r\n", "", "not a hello"});
  EXPECT_EQ(testing::statuses(f.written), (V{"+OK", "+OK"}));
  EXPECT_TRUE(f.closed);
  // No TLS configured: STLS refused, not offered.
  FakeHost h3;
  auto n = testing::run(h3, script({"CAPA", "STLS"}));
  EXPECT_EQ(n.written.find("STLS\r\n"), std::string::npos);
  EXPECT_EQ(testing::statuses(n.written), (V{"+OK", "+OK", "-ERR", "+OK"}));
}

TEST(Pop3Session, StoreFailures) {
  FakeHost h;
  add_mail(h);
  h.store->accounts["alice@virt.test"].fail_open = true;
  auto t = testing::run(h, script({"USER alice@virt.test", "PASS secret", "STAT"}));
  EXPECT_EQ(testing::statuses(t.written), (V{"+OK", "+OK", "-ERR [SYS/TEMP]", "-ERR", "+OK"}));
  EXPECT_FALSE(h.recent.recent("192.0.2.7", std::chrono::seconds(60)));
  h.store->accounts["alice@virt.test"].fail_open = false;
  h.store->accounts["alice@virt.test"].fail_read = true;
  h.store->accounts["alice@virt.test"].fail_commit = true;
  auto r = testing::run(h, script({"USER alice@virt.test", "PASS secret", "RETR 1", "DELE 1"}));
  EXPECT_EQ(testing::statuses(r.written), (V{"+OK", "+OK", "+OK", "-ERR [SYS/TEMP]", "+OK", "-ERR [SYS/TEMP]"}));
  EXPECT_TRUE(r.written.ends_with("-ERR [SYS/TEMP] Some deleted messages were not removed\r\n"));
  EXPECT_EQ(h.store->accounts["alice@virt.test"].messages.size(), 2u);
  EXPECT_FALSE(h.store->accounts["alice@virt.test"].locked);
}

TEST(Pop3Session, PipelinedCommandsGetOneWrite) {
  FakeHost h;
  add_mail(h);
  auto t = testing::run(h, {"", "USER alice@virt.test\r\nPASS secret\r\nSTAT\r\nUIDL\r\nquit\r\n"});
  EXPECT_EQ(testing::statuses(t.written), (V{"+OK", "+OK", "+OK", "+OK", "+OK", "+OK"}));
  EXPECT_FALSE(h.hung);
}

}  // namespace
}  // namespace tern::pop3
