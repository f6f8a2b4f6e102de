// IMAP session tests, not-authenticated state: greeting, CAPABILITY,
// LOGOUT, LOGIN (atoms, quoted, literal), AUTHENTICATE PLAIN (SASL-IR and
// continuation, cancel, bad base64), LOGINDISABLED before TLS, STARTTLS
// with pipelined plaintext, failed-login limit, bad-command limit, the
// idle timeout, commands in the wrong state, syntax errors with the tag.
#include <gtest/gtest.h>

#include "imap/server/session_harness.h"
#include "io/deflate_test_util.h"
#include "sasl/base64.h"
#include "smtp/server/fake_tls.h"  // the protocol-free fake TLS layer (test only)

namespace tern::imap {
namespace {

using testing::FakeHost;
using testing::kLogin;
using testing::script;
using testing::tagged;

const std::string kCaps =
    "IMAP4rev1 IMAP4rev2 SASL-IR LITERAL+ LITERAL- ID ENABLE IDLE UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE NAMESPACE LIST-EXTENDED "
    "LIST-STATUS ESEARCH STATUS=SIZE BINARY MULTIAPPEND CATENATE SORT SORT=DISPLAY ESORT CONTEXT=SEARCH CONTEXT=SORT "
    "THREAD=ORDEREDSUBJECT THREAD=REFERENCES UTF8=ACCEPT CONDSTORE QRESYNC SEARCHRES NOTIFY APPENDLIMIT=100000";  // the harness: message_size_limit 100000

TEST(ImapSession, GreetingCapabilityLogout) {
  FakeHost h;
  auto t = testing::run(h, script({"a CAPABILITY", "b NOOP", "c ID NIL"}));
  EXPECT_TRUE(t.written.starts_with("* OK [CAPABILITY " + kCaps +
                                    " AUTH=PLAIN AUTH=LOGIN] imap.test.example IMAP server ready.\r\n"))
      << t.written;
  EXPECT_NE(t.written.find("* CAPABILITY " + kCaps + " AUTH=PLAIN AUTH=LOGIN\r\na OK Capability completed.\r\n"),
            std::string::npos);
  EXPECT_EQ(tagged(t.written, "b"), "b OK NOOP completed.");
  EXPECT_NE(t.written.find("* ID (\"name\" \"tern\")\r\nc OK"), std::string::npos);
  EXPECT_TRUE(t.written.ends_with("* BYE Logging out\r\nz OK Logout completed.\r\n"));
  EXPECT_TRUE(t.closed);
  EXPECT_EQ(t.written_after_close, 0u);
  EXPECT_EQ(h.live, 0);
  EXPECT_FALSE(h.hung);
}

TEST(ImapSession, CommandsBeforeLoginAndSyntaxErrors) {
  FakeHost h;
  auto t = testing::run(h, script({"a SELECT INBOX", "b LIST \"\" *", "c FETCH 1 FLAGS", "d FOO", "e LOGIN onlyuser",
                                   "f UID FETCH 1 FLAGS", "g LOGIN \"us\\\"er", "* NOOP", "h ENABLE IMAP4rev2"}));
  EXPECT_EQ(tagged(t.written, "a"), "a BAD Not logged in.");
  EXPECT_EQ(tagged(t.written, "b"), "b BAD Not logged in.");
  EXPECT_EQ(tagged(t.written, "c"), "c BAD Not logged in.");
  EXPECT_EQ(tagged(t.written, "d"), "d BAD Unknown command.");
  EXPECT_EQ(tagged(t.written, "e"), "e BAD LOGIN takes a user name and a password.");
  EXPECT_EQ(tagged(t.written, "f"), "f BAD Not logged in.");
  EXPECT_TRUE(tagged(t.written, "g").starts_with("g BAD ")) << t.written;
  EXPECT_NE(t.written.find("* BAD "), std::string::npos);  // no readable tag
  EXPECT_EQ(tagged(t.written, "h"), "h BAD Not logged in.");
  EXPECT_EQ(h.verifier->calls, 0);
}

TEST(ImapSession, LoginForms) {
  FakeHost h;
  auto t = testing::run(h, script({"a LOGIN alice@virt.test wrong", "b LOGIN \"alice@virt.test\" {6}", "secret",
                                   "c LOGIN alice@virt.test secret", "d CAPABILITY"}));
  EXPECT_EQ(tagged(t.written, "a"), "a NO [AUTHENTICATIONFAILED] Authentication failed.");
  EXPECT_NE(t.written.find("+ Ready for literal data\r\n"), std::string::npos);
  EXPECT_EQ(tagged(t.written, "b"), "b OK [CAPABILITY " + kCaps + " COMPRESS=DEFLATE QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE] Logged in.");
  EXPECT_EQ(tagged(t.written, "c"), "c BAD Command not valid in this state.");
  // After login, no AUTH= and no STARTTLS; COMPRESS (RFC 4978: after login only).
  EXPECT_NE(t.written.find("* CAPABILITY " + kCaps + " COMPRESS=DEFLATE QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE\r\nd OK"), std::string::npos);
  EXPECT_EQ(h.verifier->calls, 2);
  EXPECT_TRUE(h.recent.recent("192.0.2.7", std::chrono::seconds(60)));
}

TEST(ImapSession, AuthenticatePlain) {
  FakeHost h;
  std::string ir = sasl::client_plain_response("alice@virt.test", "secret");
  std::string wrong = sasl::client_plain_response("alice@virt.test", "nope");
  auto t = testing::run(h, script({"a AUTHENTICATE PLAIN " + wrong, "b AUTHENTICATE PLAIN", "*",
                                   "c AUTHENTICATE PLAIN", "!!notbase64", "d AUTHENTICATE CRAM-MD5",
                                   "e AUTHENTICATE PLAIN", ir, "f NOOP"}));
  EXPECT_EQ(tagged(t.written, "a"), "a NO [AUTHENTICATIONFAILED] Authentication failed.");
  EXPECT_EQ(tagged(t.written, "b"), "b BAD Authentication aborted by client.");
  EXPECT_EQ(tagged(t.written, "c"), "c BAD Invalid base64 data in response.");
  EXPECT_EQ(tagged(t.written, "d"), "d NO Unsupported authentication mechanism.");
  EXPECT_TRUE(tagged(t.written, "e").starts_with("e OK [CAPABILITY")) << t.written;
  EXPECT_NE(t.written.find("+ \r\n"), std::string::npos);  // an empty challenge
  EXPECT_EQ(tagged(t.written, "f"), "f OK NOOP completed.");

  FakeHost h2;
  auto t2 = testing::run(h2, script({"a AUTHENTICATE PLAIN " + ir, "b SELECT INBOX"}));
  EXPECT_TRUE(tagged(t2.written, "a").starts_with("a OK [CAPABILITY")) << t2.written;
  EXPECT_TRUE(tagged(t2.written, "b").starts_with("b OK [READ-WRITE]")) << t2.written;
}

TEST(ImapSession, PlaintextRefusedOutsideTlsButOnLoopback) {
  FakeHost h;
  h.edit().settings.tls_auth_only = true;
  auto t = testing::run(h, script({"a CAPABILITY", kLogin, "b AUTHENTICATE PLAIN"}));
  EXPECT_NE(t.written.find("* CAPABILITY " + kCaps + " LOGINDISABLED\r\n"), std::string::npos) << t.written;
  EXPECT_EQ(tagged(t.written, "l"),
            "l NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.");
  EXPECT_TRUE(tagged(t.written, "b").starts_with("b NO [PRIVACYREQUIRED]"));
  EXPECT_EQ(h.verifier->calls, 0);

  auto local = testing::run(h, script({kLogin}), "127.0.0.1");
  EXPECT_TRUE(tagged(local.written, "l").starts_with("l OK")) << local.written;
}

TEST(ImapSession, StarttlsDiscardsPipelinedPlaintext) {
  FakeHost h;
  h.edit().settings.tls_auth_only = true;
  auto tls = std::make_shared<smtp::harness::FakeTlsServer>();
  h.edit().tls = tls;
  std::deque<io::Segment> in{"", "a STARTTLS\r\nb LOGIN alice@virt.test secret\r\n", "",
                             std::string(1, smtp::harness::kHello), "c CAPABILITY\r\n", "", kLogin + "\r\n", "",
                             "d STARTTLS\r\n", ""};
  auto t = testing::run(h, in);
  EXPECT_NE(t.written.find(" STARTTLS LOGINDISABLED] "), std::string::npos);
  EXPECT_EQ(tagged(t.written, "a"), "a OK Begin TLS negotiation now.");
  EXPECT_EQ(tagged(t.written, "b"), "");  // never answered: discarded before the handshake
  EXPECT_TRUE(tls->log->handshake_ok);
  EXPECT_NE(tls->log->written_inside.find("* CAPABILITY " + kCaps + " AUTH=PLAIN AUTH=LOGIN\r\n"), std::string::npos);
  EXPECT_TRUE(tagged(t.written, "l").starts_with("l OK")) << t.written;
  EXPECT_EQ(tagged(t.written, "d"), "d BAD Command not valid in this state.");
  EXPECT_EQ(h.verifier->calls, 1);
}

TEST(ImapSession, FailedLoginsHangUpAtTheLimit) {
  FakeHost h;  // failure_limit 4
  auto t = testing::run(h, script({"a LOGIN x@virt.test p", "b LOGIN x@virt.test p", "c LOGIN x@virt.test p",
                                   "d LOGIN x@virt.test p", "e LOGIN alice@virt.test secret"}));
  EXPECT_EQ(tagged(t.written, "d"), "d NO [AUTHENTICATIONFAILED] Authentication failed.");
  EXPECT_NE(t.written.find("* BYE Too many authentication failures.\r\n"), std::string::npos);
  EXPECT_EQ(tagged(t.written, "e"), "");
  EXPECT_TRUE(t.closed);
  // A new connection from the same address is refused at once.
  auto again = testing::run(h, script({kLogin}));
  EXPECT_TRUE(again.written.find("* BYE Too many authentication failures.") != std::string::npos) << again.written;
  EXPECT_EQ(h.verifier->calls, 4);
}

TEST(ImapSession, TooManyBadCommands) {
  FakeHost h;
  std::deque<io::Segment> in{""};
  for (int i = 0; i < 30; ++i) in.push_back("x" + std::to_string(i) + " BOGUS\r\n");
  auto t = testing::run(h, in);
  EXPECT_NE(t.written.find("* BYE Too many invalid IMAP commands.\r\n"), std::string::npos);
  EXPECT_EQ(tagged(t.written, "x25"), "");
  EXPECT_TRUE(t.closed);
}

TEST(ImapSession, IdleTimeoutSaysBye) {
  FakeHost h;
  auto start = h.fake_clock.now();
  auto t = testing::run(h, {"", "a NOOP\r\n", io::Segment::stall()});
  EXPECT_EQ(tagged(t.written, "a"), "a OK NOOP completed.");
  EXPECT_TRUE(t.written.ends_with("* BYE Disconnected for inactivity.\r\n"));
  EXPECT_TRUE(t.closed);
  EXPECT_EQ(t.closed_at - start, std::chrono::seconds(1800));
  EXPECT_FALSE(h.hung);
}

TEST(ImapSession, LongLinesAndLiterals) {
  FakeHost h;
  std::deque<io::Segment> in{"", "a NOOP " + std::string(70000, 'x') + "\r\n", "", kLogin + "\r\n", "",
                             "b APPEND INBOX {4294967296}\r\n", "", "c APPEND INBOX {99999999999999999999}\r\n", "",
                             "d NOOP\r\n", ""};
  auto t = testing::run(h, in);
  EXPECT_TRUE(tagged(t.written, "a").starts_with("a BAD")) << t.written;
  EXPECT_TRUE(tagged(t.written, "b").starts_with("b NO [TOOBIG]")) << t.written;
  EXPECT_TRUE(tagged(t.written, "c").starts_with("c NO [TOOBIG]")) << t.written;  // a size past 2^64: refused the same way
  EXPECT_EQ(t.written.find("+ Ready"), std::string::npos);
  EXPECT_EQ(tagged(t.written, "d"), "d OK NOOP completed.");
}

TEST(ImapSession, SaslResponseTooLongAndEnable) {
  FakeHost h;
  auto t = testing::run(h, script({"a AUTHENTICATE PLAIN", std::string(20000, 'A'), kLogin, "b ENABLE CONDSTORE",
                                   "c ENABLE", "d ID (\"name\" \"client\")", "e ID foo"}));
  EXPECT_EQ(tagged(t.written, "a"), "a BAD Authentication response too long.");
  EXPECT_TRUE(tagged(t.written, "l").starts_with("l OK")) << t.written;
  EXPECT_NE(t.written.find("* ENABLED CONDSTORE\r\nb OK ENABLE completed.\r\n"), std::string::npos);
  EXPECT_EQ(tagged(t.written, "c"), "c BAD ENABLE needs capabilities.");
  EXPECT_EQ(tagged(t.written, "d"), "d OK ID completed.");
  EXPECT_EQ(tagged(t.written, "e"), "e BAD ID takes a list or NIL.");
  EXPECT_EQ(h.verifier->calls, 1);
}

// LITERAL+ and LITERAL- are both advertised: a {n+} over LITERAL-'s 4096
// bytes is taken (LITERAL+), before login too, and the next command runs.
TEST(ImapSession, NonSyncLiteralOver4096UnderLiteralPlus) {
  FakeHost h;
  std::string msg = "Subject: big\r\n\r\n" + std::string(5000, 'x') + "\r\n";
  std::deque<io::Segment> in{"", "l LOGIN {15+}\r\nalice@virt.test {6+}\r\nsecret\r\n", "",
                             "b APPEND INBOX {" + std::to_string(msg.size()) + "+}\r\n" + msg + "\r\nc NOOP\r\n", ""};
  auto t = testing::run(h, in);
  EXPECT_TRUE(tagged(t.written, "l").starts_with("l OK")) << t.written;
  EXPECT_TRUE(tagged(t.written, "b").starts_with("b OK [APPENDUID ")) << t.written;
  EXPECT_EQ(tagged(t.written, "c"), "c OK NOOP completed.");
  EXPECT_EQ(t.written.find("+ Ready"), std::string::npos);
  auto box = h.store_of().open("INBOX");
  ASSERT_TRUE(box);
  ASSERT_EQ((*box)->messages().size(), 1u);
}

// A non-synchronising literal past the limit cannot be skipped safely
// (its bytes are already coming): BAD [TOOBIG], BYE, and the connection
// is closed before any of its bytes run as commands.
TEST(ImapSession, OversizedNonSyncLiteralClosesTheConnection) {
  FakeHost h;  // max_append_bytes 100000
  std::deque<io::Segment> in{"", kLogin + "\r\n", "", "b APPEND INBOX {200000+}\r\nc LOGOUT\r\n", ""};
  auto t = testing::run(h, in);
  EXPECT_TRUE(tagged(t.written, "b").starts_with("b BAD [TOOBIG]")) << t.written;
  EXPECT_TRUE(t.written.ends_with("* BYE Connection out of sync.\r\n")) << t.written;
  EXPECT_EQ(tagged(t.written, "c"), "");
  EXPECT_TRUE(t.closed);
  EXPECT_EQ((*h.store_of().open("INBOX"))->messages().size(), 0u);
}

TEST(ImapSession, StoreUnavailableAtLogin) {
  FakeHost h;
  h.accounts->fail = true;
  auto t = testing::run(h, script({kLogin, "a SELECT INBOX"}));
  EXPECT_EQ(tagged(t.written, "l"), "l NO [UNAVAILABLE] Cannot open the mailbox; try again later.");
  EXPECT_EQ(tagged(t.written, "a"), "a BAD Not logged in.");
}


// COMPRESS DEFLATE (RFC 4978): offered after login; after the OK both ways
// are raw DEFLATE (zlib is the client here), including bytes the client sent
// before it read the OK; a second COMPRESS is NO [COMPRESSIONACTIVE], an
// unknown algorithm BAD, and before login the command does not exist.
TEST(ImapSession, CompressDeflate) {
  using io::testing::raw_deflate;
  using io::testing::raw_inflate;
  FakeHost h;
  h.deliver("Subject: hi\n\nhello\n");
  std::string compressed = raw_deflate("b SELECT INBOX\r\nc FETCH 1 BODY[]\r\nd COMPRESS DEFLATE\r\nz LOGOUT\r\n");
  auto t = testing::run(h, {"", "x COMPRESS DEFLATE\r\n", "", kLogin + "\r\n", "", "y COMPRESS zstd\r\n", "",
                            "a COMPRESS DEFLATE\r\n" + compressed.substr(0, 3), "", compressed.substr(3)});
  const std::string& w = t.written;
  EXPECT_EQ(tagged(w, "x"), "x BAD Not logged in.") << w;
  EXPECT_NE(tagged(w, "l").find("COMPRESS=DEFLATE"), std::string::npos) << tagged(w, "l");
  EXPECT_EQ(tagged(w, "y"), "y BAD Unknown compression algorithm; COMPRESS DEFLATE is offered.");
  size_t on = w.find("a OK DEFLATE active.\r\n");
  ASSERT_NE(on, std::string::npos) << w;
  std::string after = raw_inflate(w.substr(on + 22));
  EXPECT_EQ(tagged(after, "b").substr(0, 5), "b OK ") << after;
  EXPECT_NE(after.find("BODY[] {"), std::string::npos) << after;
  EXPECT_NE(after.find("hello\r\n"), std::string::npos);
  EXPECT_EQ(tagged(after, "d"), "d NO [COMPRESSIONACTIVE] DEFLATE is already active.");
  EXPECT_EQ(tagged(after, "z"), "z OK Logout completed.");
}

// A client that sends garbage where DEFLATE should be loses the connection,
// and nothing it sent is read as a command.
TEST(ImapSession, CompressedGarbageEndsTheSession) {
  FakeHost h;
  auto t = testing::run(h, {"", kLogin + "\r\n", "", "a COMPRESS DEFLATE\r\n", "", "b CREATE Evil\r\n"});
  EXPECT_NE(t.written.find("a OK DEFLATE active.\r\n"), std::string::npos);
  EXPECT_TRUE(t.closed);
  auto list = h.store_of().list();
  ASSERT_TRUE(list);
  EXPECT_EQ(std::count(list->begin(), list->end(), "Evil"), 0);
}

}  // namespace
}  // namespace tern::imap

namespace tern::imap {
namespace {

// mail_max_userip_connections: counted per user and client address, from
// a successful login to the session's end; a failed login counts nothing.
TEST(ImapSession, SessionsPerUserAndAddressAreLimited) {
  testing::FakeHost h;
  h.edit().settings.max_userip_connections = 2;
  std::deque<io::Segment> stay{"", testing::kLogin + "\r\n", io::Segment::after(std::chrono::seconds(50)), "z LOGOUT\r\n"};
  std::deque<io::Segment> late{io::Segment::after(std::chrono::seconds(10)), "a LOGIN alice@virt.test wrong\r\n", "",
                               testing::kLogin + "\r\n", io::Segment::after(std::chrono::seconds(60)),
                               testing::kLogin + "\r\n", "", "z LOGOUT\r\n"};
  std::deque<io::Segment> bob{io::Segment::after(std::chrono::seconds(20)), "b LOGIN bob@virt.test hunter2\r\n", "",
                              "z LOGOUT\r\n"};
  auto other_ip = testing::Client{testing::script({testing::kLogin}), "192.0.2.99"};
  auto ts = testing::run_all(h, {testing::Client{stay}, testing::Client{stay}, testing::Client{late}, testing::Client{bob},
                                 other_ip});
  const std::string& w = ts[2].written;
  EXPECT_TRUE(testing::tagged(w, "a").starts_with("a NO [AUTHENTICATIONFAILED]")) << w;
  EXPECT_NE(w.find("l NO [LIMIT] Maximum number of connections from user+IP exceeded (mail_max_userip_connections=2)."),
            std::string::npos)
      << w;
  // After the two others logged out, the same session logs in.
  EXPECT_NE(w.find("l OK [CAPABILITY"), std::string::npos) << w;
  EXPECT_EQ(testing::tagged(ts[3].written, "b").substr(0, 4), "b OK");
  EXPECT_EQ(testing::tagged(ts[4].written, "l").substr(0, 4), "l OK");  // another address
  EXPECT_EQ(h.user_ip.count("alice@virt.test", "192.0.2.7"), 0u);       // all released
  EXPECT_EQ(h.user_ip.count("alice@virt.test", "192.0.2.99"), 0u);
}

}  // namespace
}  // namespace tern::imap
