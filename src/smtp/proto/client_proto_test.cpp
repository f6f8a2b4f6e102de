// Table-driven tests for the SMTP client's pure parts: the reply parser
// (hostile servers, RELIABILITY.md #45), EHLO capabilities, and the MAIL /
// RCPT formatter with its DSN parameters.
#include <gtest/gtest.h>

#include "smtp/proto/client_command.h"
#include "smtp/proto/command.h"
#include "smtp/proto/ehlo_parser.h"
#include "smtp/proto/reply_parser.h"

using namespace tern::smtp;

namespace {

// Feeds the whole input at once, then byte by byte, and checks both give the
// same replies; returns them (an error ends the list as code -1).
std::vector<ReplyParser::Next> parse_all(std::string_view in, ReplyLimits lim = {}) {
  auto run = [&](size_t step) {
    ReplyParser p(lim);
    std::vector<ReplyParser::Next> out;
    for (size_t i = 0; i < in.size(); i += step) {
      p.feed(in.substr(i, step));
      for (;;) {
        auto n = p.next();
        if (n.kind == ReplyParser::Kind::need_more) break;
        out.push_back(n);
        if (n.kind == ReplyParser::Kind::error) return out;
      }
    }
    return out;
  };
  auto whole = run(in.size() ? in.size() : 1);
  auto bytes = run(1);
  EXPECT_EQ(whole.size(), bytes.size()) << in;
  for (size_t i = 0; i < whole.size() && i < bytes.size(); ++i) {
    EXPECT_EQ(whole[i].kind, bytes[i].kind);
    EXPECT_EQ(whole[i].reply.code, bytes[i].reply.code);
    EXPECT_EQ(whole[i].reply.lines, bytes[i].reply.lines);
    EXPECT_EQ(whole[i].error, bytes[i].error);
  }
  return whole;
}

TEST(ReplyParser, GoodReplies) {
  auto r = parse_all("220 mx.example.com ESMTP\r\n250-mx.example.com\r\n250-PIPELINING\r\n250 SIZE 1000\r\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].reply.code, 220);
  EXPECT_EQ(r[0].reply.lines, std::vector<std::string>{"mx.example.com ESMTP"});
  EXPECT_EQ(r[1].reply.code, 250);
  EXPECT_EQ(r[1].reply.lines, (std::vector<std::string>{"mx.example.com", "PIPELINING", "SIZE 1000"}));
  EXPECT_FALSE(r[1].truncated);
  EXPECT_FALSE(r[1].sanitized);
}

TEST(ReplyParser, EnhancedStatus) {
  auto r = parse_all("550-5.1.1 first\r\n550-5.1.1\r\n550 5.1.1 <u@x>: no such user\r\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].reply.enhanced, "5.1.1");
  EXPECT_EQ(r[0].reply.lines, (std::vector<std::string>{"first", "", "<u@x>: no such user"}));
  EXPECT_EQ(reply_summary(r[0].reply), "550 5.1.1 first <u@x>: no such user");
  // A status whose class disagrees with the code is text, not a status.
  auto m = parse_all("550 2.0.0 ok?\r\n");
  EXPECT_EQ(m[0].reply.enhanced, "");
  EXPECT_EQ(m[0].reply.lines[0], "2.0.0 ok?");
  // Not a status: too many digits, or glued to text.
  EXPECT_EQ(parse_all("451 4.3.1234 x\r\n")[0].reply.enhanced, "");
  EXPECT_EQ(parse_all("451 4.3.1x\r\n")[0].reply.enhanced, "");
  EXPECT_EQ(parse_all("451 4.3.1\r\n")[0].reply.enhanced, "4.3.1");
}

TEST(ReplyParser, ShortAndBareLines) {
  // "250" alone, "250-" with nothing, bare LF line ends (Postfix accepts them).
  auto r = parse_all("250-\n250-x\n250\n354\r\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].reply.lines, (std::vector<std::string>{"", "x", ""}));
  EXPECT_EQ(r[1].reply.code, 354);
}

struct BadCase {
  const char* name;
  std::string in;
  ReplyError error;
};

TEST(ReplyParser, HostileReplies) {
  const BadCase cases[] = {
      {"no code", "hello\r\n", ReplyError::bad_code},
      {"two digits", "25\r\n", ReplyError::bad_code},
      {"1xx", "150 go on\r\n", ReplyError::bad_code},
      {"6xx", "650 what\r\n", ReplyError::bad_code},
      {"empty line", "\r\n", ReplyError::bad_code},
      {"letters", "25x ok\r\n", ReplyError::bad_code},
      {"separator", "250_ok\r\n", ReplyError::bad_separator},
      {"codes disagree", "250-a\r\n550 b\r\n", ReplyError::code_mismatch},
      {"continuation then garbage", "250-a\r\nxyz\r\n", ReplyError::bad_code},
      {"too many lines",
       [] {
         std::string s;
         for (int i = 0; i < 150; ++i) s += "250-x\r\n";
         return s + "250 x\r\n";
       }(),
       ReplyError::too_many_lines},
      {"100 KB in one line", "250 " + std::string(100000, 'a') + "\r\n", ReplyError::too_long},
      {"100 KB without a line end", "250 " + std::string(100000, 'a'), ReplyError::too_long},
  };
  for (auto& c : cases) {
    auto r = parse_all(c.in);
    ASSERT_FALSE(r.empty()) << c.name;
    EXPECT_EQ(r.back().kind, ReplyParser::Kind::error) << c.name;
    EXPECT_EQ(r.back().error, c.error) << c.name;
    EXPECT_FALSE(reply_error_text(c.error).empty());
  }
}

TEST(ReplyParser, ErrorIsSticky) {
  ReplyParser p;
  p.feed("hello\r\n250 ok\r\n");
  EXPECT_EQ(p.next().kind, ReplyParser::Kind::error);
  p.feed("250 ok\r\n");
  EXPECT_EQ(p.next().kind, ReplyParser::Kind::error);
  EXPECT_EQ(p.error(), ReplyError::bad_code);
}

TEST(ReplyParser, ControlBytesSanitized) {
  std::string in("550 5.7.1 bad\rRCPT\0TO\x1b[31m\tx\x7f\r\n", 31);
  auto r = parse_all(in);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].sanitized);
  EXPECT_EQ(r[0].reply.lines[0], "bad?RCPT?TO?[31m x?");
  for (auto& l : r[0].reply.lines)
    for (unsigned char c : l) EXPECT_TRUE(c >= 0x20 && c != 0x7f);
}

TEST(ReplyParser, LongLineTruncatedNotFatal) {
  ReplyLimits lim;
  lim.max_line_bytes = 100;
  auto r = parse_all("250-" + std::string(500, 'b') + "\r\n250 ok\r\n", lim);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].kind, ReplyParser::Kind::reply);
  EXPECT_TRUE(r[0].truncated);
  EXPECT_EQ(r[0].reply.lines[0].size(), 96u);  // 100 bytes of line minus "250-"
  EXPECT_EQ(r[0].reply.lines[1], "ok");
  // A line of exactly the limit, its CR and LF split across reads, is not cut.
  ReplyParser p(lim);
  p.feed("250 " + std::string(96, 'c') + "\r");
  EXPECT_EQ(p.next().kind, ReplyParser::Kind::need_more);
  p.feed("\n");
  auto n = p.next();
  EXPECT_EQ(n.kind, ReplyParser::Kind::reply);
  EXPECT_FALSE(n.truncated);
}

TEST(ReplyParser, ExtraBytesAfterStarttlsReady) {
  // RELIABILITY.md #45: plaintext after "220 Ready to start TLS" must not
  // be carried into the TLS session; the client sees it is not idle.
  ReplyParser p;
  p.feed("220 2.0.0 Ready to start TLS\r\n250 injected\r\n");
  auto n = p.next();
  EXPECT_EQ(n.reply.code, 220);
  EXPECT_FALSE(p.idle());
  EXPECT_GT(p.pending_size(), 0u);
  p.clear();
  EXPECT_TRUE(p.idle());
  // A partial line also counts.
  p.feed("220 go\r\n2");
  p.next();
  EXPECT_FALSE(p.idle());
  ReplyParser q;
  q.feed("220 go\r\n");
  q.next();
  EXPECT_TRUE(q.idle());
}

TEST(ReplyParser, SummaryIsOneBoundedLine) {
  Reply r(550, "5.1.1", std::string(5000, 'x') + "\xc3\xa9");
  auto s = reply_summary(r, 200);
  EXPECT_LE(s.size(), 203u);
  EXPECT_EQ(s.substr(s.size() - 3), "...");
  // The bound holds however the lines fall (found by reply_fuzz).
  Reply many(250, "2.0.0", "a");
  for (int i = 0; i < 50; ++i) many.lines.push_back(std::string(i, 'b'));
  for (size_t max : {1, 5, 9, 10, 11, 64, 100}) EXPECT_LE(reply_summary(many, max).size(), max + 3) << max;
  Reply u(550, "", "caf\xc3\xa9");
  EXPECT_EQ(reply_summary(u), "550 caf??");
}

TEST(Ehlo, Capabilities) {
  Reply r;
  r.code = 250;
  r.lines = {"mx.example.com says hi",
             "pipelining",
             "SIZE 10240000",
             "8BITMIME",
             "SmtpUtf8",
             "CHUNKING",
             "DSN",
             "STARTTLS",
             "ENHANCEDSTATUSCODES",
             "AUTH PLAIN login XOAUTH2",
             "AUTH=LOGIN CRAM-MD5",
             "",
             "  ",
             "X-JUNK \x01",
             "-BAD",
             "HELP"};
  auto c = parse_ehlo(r);
  EXPECT_EQ(c.server_name, "mx.example.com");
  EXPECT_TRUE(c.pipelining && c.eightbitmime && c.smtputf8 && c.chunking && c.dsn && c.starttls &&
              c.enhancedstatuscodes && c.size);
  EXPECT_EQ(c.size_limit, 10240000u);
  EXPECT_EQ(c.auth, (std::vector<std::string>{"PLAIN", "LOGIN", "XOAUTH2", "CRAM-MD5"}));
  EXPECT_TRUE(c.offers_auth("plain"));
  EXPECT_FALSE(c.offers_auth("GSSAPI"));
  EXPECT_FALSE(c.binarymime);
}

TEST(Ehlo, SizeVariants) {
  struct {
    const char* line;
    uint64_t limit;
  } cases[] = {{"SIZE", 0},
               {"SIZE 0", 0},
               {"SIZE abc", 0},
               {"SIZE -5", 0},
               {"SIZE 99999999999999999999999", 0},
               {"SIZE 18446744073709551616", 0},
               {"SIZE 9999999999999999999", 0},
               {"SIZE 9223372036854775807", 9223372036854775807u},
               {"size 52428800", 52428800},
               {"SIZE 1e9", 0}};
  for (auto& c : cases) {
    Reply r;
    r.lines = {"mx", c.line};
    auto caps = parse_ehlo(r);
    EXPECT_TRUE(caps.size) << c.line;
    EXPECT_EQ(caps.size_limit, c.limit) << c.line;
  }
}

TEST(Ehlo, NotA250AndJunkNames) {
  Reply r(550, "", "go away");
  r.lines.push_back("PIPELINING");
  EXPECT_FALSE(parse_ehlo(r).pipelining);
  Reply j;
  j.lines = {"\xff\xfe name", "AUTH " + std::string(40, 'A') + " pl@in PLAIN"};
  for (int i = 0; i < 50; ++i) j.lines.back() += " M" + std::to_string(i);
  auto c = parse_ehlo(j);
  EXPECT_EQ(c.server_name, "");
  EXPECT_EQ(c.auth.size(), 32u);  // bounded
  EXPECT_EQ(c.auth[0], "PLAIN");
}

EhloCapabilities all_caps() {
  EhloCapabilities c;
  c.size = c.eightbitmime = c.smtputf8 = c.dsn = true;
  c.auth = {"PLAIN"};
  return c;
}

tern::mail::Address addr(std::string local, std::string domain) { return {std::move(local), std::move(domain)}; }

TEST(ClientCommand, MailFrom) {
  MailParams p;
  p.size_bytes = 1234;
  p.body = BodyType::eightbitmime;
  p.ret = DsnRet::hdrs;
  p.envid = "id+1=2 x";
  p.auth = "";
  auto m = format_mail_from(addr("a", "example.com"), p, all_caps());
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, "MAIL FROM:<a@example.com> SIZE=1234 BODY=8BITMIME RET=HDRS ENVID=id+2B1+3D2+20x AUTH=<>\r\n");
  // A server that offers nothing gets the bare command.
  auto bare = format_mail_from(addr("a", "example.com"), p, EhloCapabilities{});
  EXPECT_EQ(*bare, "MAIL FROM:<a@example.com>\r\n");
  // Null sender, AUTH with a mailbox.
  MailParams q;
  q.auth = "u+x@example.com";
  EXPECT_EQ(*format_mail_from(addr("", ""), q, all_caps()), "MAIL FROM:<> AUTH=u+2Bx@example.com\r\n");
}

TEST(ClientCommand, Smtputf8) {
  MailParams p;
  p.smtputf8 = true;
  auto ok = format_mail_from(addr("j\xc3\xb6rg", "example.com"), p, all_caps());
  EXPECT_EQ(*ok, "MAIL FROM:<j\xc3\xb6rg@example.com> SMTPUTF8\r\n");
  EhloCapabilities no = all_caps();
  no.smtputf8 = false;
  auto refused = format_mail_from(addr("j\xc3\xb6rg", "example.com"), p, no);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().dsn, "5.6.7");
  EXPECT_TRUE(refused.error().is_permanent());
  auto not_flagged = format_mail_from(addr("j\xc3\xb6rg", "example.com"), MailParams{}, all_caps());
  EXPECT_EQ(not_flagged.error().dsn, "5.6.7");
  auto rcpt = format_rcpt_to(addr("\xc3\xa9", "example.com"), RcptParams{}, all_caps(), false);
  EXPECT_EQ(rcpt.error().dsn, "5.6.7");
}

TEST(ClientCommand, RefusesLineBreaks) {
  for (std::string bad :
       {std::string("a\r\nRCPT TO:<x@y>"), std::string("a\nb"), std::string("a\0b", 3), std::string("a\x7f")}) {
    auto m = format_mail_from(addr(bad, "example.com"), MailParams{}, all_caps());
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().dsn, "5.1.7");
    auto r = format_rcpt_to(addr("u", bad), RcptParams{}, all_caps(), true);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().dsn, "5.1.3");
  }
  // Encoded fields can never break the line.
  MailParams p;
  p.envid = "x\r\nRSET";
  auto m = format_mail_from(addr("a", "b"), p, all_caps());
  EXPECT_EQ(*m, "MAIL FROM:<a@b> ENVID=x+0D+0ARSET\r\n");
}

TEST(ClientCommand, RcptTo) {
  RcptParams p;
  p.notify = notify::failure | notify::delay;
  p.orcpt_type = "rfc822";
  p.orcpt = "u+1@example.com";
  EXPECT_EQ(*format_rcpt_to(addr("u", "example.com"), p, all_caps(), false),
            "RCPT TO:<u@example.com> NOTIFY=FAILURE,DELAY ORCPT=rfc822;u+2B1@example.com\r\n");
  p.notify = notify::never | notify::success;  // NEVER wins
  EXPECT_EQ(*format_rcpt_to(addr("u", "example.com"), p, EhloCapabilities{}, false), "RCPT TO:<u@example.com>\r\n");
  EXPECT_EQ(*format_rcpt_to(addr("u", "example.com"), p, all_caps(), false),
            "RCPT TO:<u@example.com> NOTIFY=NEVER ORCPT=rfc822;u+2B1@example.com\r\n");
  // A non-ASCII original recipient: RFC 6533 utf-8-addr-xtext; invalid UTF-8 left out.
  RcptParams u;
  u.orcpt_type = "rfc822";
  u.orcpt = "j\xc3\xb6rg+x@example.com";
  EXPECT_EQ(*format_rcpt_to(addr("u", "example.com"), u, all_caps(), false),
            "RCPT TO:<u@example.com> ORCPT=utf-8;j\\x{F6}rg\\x{2B}x@example.com\r\n");
  u.orcpt = "j\xc3rg@example.com";
  EXPECT_EQ(*format_rcpt_to(addr("u", "example.com"), u, all_caps(), false), "RCPT TO:<u@example.com>\r\n");
}

TEST(ClientCommand, XtextRoundTrip) {
  std::string all;
  for (int c = 0x20; c < 0x7f; ++c) all += static_cast<char>(c);
  std::string back;
  ASSERT_TRUE(xtext_decode(xtext_encode(all), back));
  EXPECT_EQ(back, all);
  EXPECT_EQ(xtext_encode("a+b=c d"), "a+2Bb+3Dc+20d");
}

}  // namespace
