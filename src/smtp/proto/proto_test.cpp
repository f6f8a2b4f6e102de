// Table-driven tests for the pure SMTP protocol pieces: command parsing,
// line splitting, the DATA state machine (including every smuggling
// variant) and BDAT decoding.
#include <gtest/gtest.h>

#include "smtp/proto/bdat_decoder.h"
#include "smtp/proto/client_command.h"
#include "smtp/proto/command.h"
#include "smtp/proto/data_reader.h"
#include "smtp/proto/line_splitter.h"

using namespace tern::smtp;

namespace {

Reply as_reply(const ParseResult& r) { return std::get<Reply>(r); }
Command as_cmd(const ParseResult& r) { return std::get<Command>(r); }

struct ErrCase {
  const char* line;
  int code;
  const char* enhanced;
};

TEST(Command, Errors) {
  const ErrCase cases[] = {
      {"FOO", 500, "5.5.2"},
      {"HELO", 501, "5.5.4"},
      {"MAIL TO:<a@b>", 501, "5.5.4"},
      {"MAIL FROM:a@b", 501, "5.5.4"},
      {"MAIL FROM:<a@b", 501, "5.5.4"},
      {"MAIL FROM:<a b@c>", 501, "5.1.7"},
      {"MAIL FROM:<a@b> SIZE=x", 501, "5.5.4"},
      {"MAIL FROM:<a@b> FOO=1", 555, "5.5.4"},
      {"MAIL FROM:<a@b> BODY=BINARYMIME", 555, "5.5.4"},
      {"MAIL FROM:<a@b> AUTH=x+0A+0Dy", 501, "5.5.4"},
      {"MAIL FROM:<a@b> ENVID=a+0Ab", 501, "5.5.4"},
      {"RCPT TO:<u@x> ORCPT=rfc822;u+0A@x", 501, "5.5.4"},
      {"RCPT TO:<>", 501, "5.1.3"},
      {"RCPT TO:<a..b@c>", 501, "5.1.3"},
      {"MAIL FROM:<\xc3\xa9@b>", 501, "5.1.7"},
      {"DATA x", 501, "5.5.4"},
      {"BDAT", 501, "5.5.4"},
      {"BDAT 10 NOTLAST", 501, "5.5.4"},
      {"BDAT -1", 501, "5.5.4"},
      {"NOOP \x01", 501, "5.5.2"},
      {"EHLO a\x1b[31mb", 501, "5.5.2"},
      {"EHLO a\tb", 501, "5.5.2"},
      {"EHLO a\x7f", 501, "5.5.2"},
      {"EHLO \xc3\xa9.example", 501, "5.5.2"},
      {"MAIL FROM:<a@b> ENVID=a\x01b", 501, "5.5.2"},
      {"RCPT TO:<a\x1f@b>", 501, "5.5.2"},
  };
  for (auto& c : cases) {
    auto r = parse_command(c.line);
    ASSERT_TRUE(std::holds_alternative<Reply>(r)) << c.line;
    EXPECT_EQ(as_reply(r).code, c.code) << c.line;
    EXPECT_EQ(as_reply(r).enhanced, c.enhanced) << c.line;
  }
  auto nul = parse_command(std::string_view("RSET\0x", 6));
  EXPECT_EQ(as_reply(nul).code, 500);
}

TEST(Command, Mail) {
  auto c = as_cmd(parse_command("mail from:<Alice@Example.ORG> SIZE=1000 BODY=8bitmime"));
  EXPECT_EQ(c.verb, Verb::mail);
  EXPECT_EQ(c.address.local, "Alice");
  EXPECT_EQ(c.address.domain_key(), "example.org");
  EXPECT_EQ(c.size, 1000u);
  EXPECT_EQ(c.body, "8BITMIME");
  auto n = as_cmd(parse_command("MAIL FROM:<>"));
  EXPECT_TRUE(n.address.is_null());
  auto sp = as_cmd(parse_command("MAIL FROM: <a@b>"));
  EXPECT_EQ(sp.address.str(), "a@b");
  auto big = as_cmd(parse_command("MAIL FROM:<a@b> SIZE=999999999999999999999999"));
  EXPECT_EQ(big.size, UINT64_MAX);
  auto u = as_cmd(parse_command("MAIL FROM:<\xc3\xa9@b.example> SMTPUTF8"));
  EXPECT_TRUE(u.smtputf8);
  auto route = as_cmd(parse_command("MAIL FROM:<@relay.example:u@d.example>"));
  EXPECT_EQ(route.address.str(), "u@d.example");
}

TEST(Command, DsnParameters) {
  auto m = as_cmd(parse_command("MAIL FROM:<a@b> RET=hdrs ENVID=QQ+2B1"));
  EXPECT_EQ(m.ret, "HDRS");
  EXPECT_EQ(m.envid, "QQ+1");
  auto r = as_cmd(parse_command("RCPT TO:<u@d> NOTIFY=success,Failure ORCPT=rfc822;x+2By@d"));
  EXPECT_EQ(r.notify, notify::success | notify::failure);
  EXPECT_EQ(r.orcpt, "rfc822;x+y@d");
  EXPECT_EQ(as_cmd(parse_command("RCPT TO:<u@d> NOTIFY=NEVER")).notify, notify::never);
  for (const char* bad : {"RCPT TO:<u@d> NOTIFY=NEVER,SUCCESS", "RCPT TO:<u@d> NOTIFY=SOMETIMES",
                          "RCPT TO:<u@d> NOTIFY=", "RCPT TO:<u@d> NOTIFY=DELAY,DELAY", "RCPT TO:<u@d> ORCPT=noaddrtype",
                          "RCPT TO:<u@d> ORCPT=;x@y", "MAIL FROM:<a@b> RET=BOTH", "MAIL FROM:<a@b> ENVID="})
    EXPECT_EQ(as_reply(parse_command(bad)).code, 501) << bad;
}

TEST(Command, RcptKeepsDangerousLocalPartsLiteral) {
  const char* cases[][2] = {
      {"RCPT TO:<\"|id\"@local>", "|id"},
      {"RCPT TO:<\"/etc/passwd\"@local>", "/etc/passwd"},
      {"RCPT TO:<${run{id}}@local>", "${run{id}}"},
      {"RCPT TO:<%u@local>", "%u"},
      {"RCPT TO:<\"a>b\"@local>", "a>b"},
  };
  for (auto& c : cases) {
    auto r = parse_command(c[0]);
    ASSERT_TRUE(std::holds_alternative<Command>(r)) << c[0];
    EXPECT_EQ(as_cmd(r).address.local, c[1]);
  }
  auto pm = as_cmd(parse_command("RCPT TO:<Postmaster>"));
  EXPECT_EQ(pm.address.local, "Postmaster");
  EXPECT_TRUE(pm.address.domain.empty());
}

TEST(Command, Bdat) {
  auto c = as_cmd(parse_command("BDAT 1024 LAST"));
  EXPECT_EQ(c.chunk_size, 1024u);
  EXPECT_TRUE(c.last);
  auto d = as_cmd(parse_command("bdat 0"));
  EXPECT_FALSE(d.last);
}

TEST(LineSplitter, SplitsAndLimits) {
  LineSplitter s(10);
  s.feed("EHLO a\r\nNOOP\nxx");
  auto a = s.next();
  EXPECT_EQ(a.kind, LineSplitter::Kind::line);
  EXPECT_EQ(a.line, "EHLO a");
  EXPECT_EQ(s.next().line, "NOOP");
  EXPECT_EQ(s.next().kind, LineSplitter::Kind::need_more);
  EXPECT_EQ(s.pending(), "xx");
  s.feed("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
  EXPECT_EQ(s.next().kind, LineSplitter::Kind::too_long);
  s.feed("yyyy\r\nQUIT\r\n");
  auto q = s.next();
  EXPECT_EQ(q.kind, LineSplitter::Kind::line);
  EXPECT_EQ(q.line, "QUIT");
}

TEST(LineSplitter, LongestLineWithItsCrAndLfInTwoReads) {
  LineSplitter s(10);
  s.feed("0123456789\r");  // the longest line, its LF still on the way
  EXPECT_EQ(s.next().kind, LineSplitter::Kind::need_more);
  s.feed("\nNOOP\r\n");
  auto a = s.next();
  EXPECT_EQ(a.kind, LineSplitter::Kind::line);
  EXPECT_EQ(a.line, "0123456789");
  EXPECT_EQ(s.next().line, "NOOP");
  s.feed("0123456789x");  // one byte more, and no CR: too long already
  EXPECT_EQ(s.next().kind, LineSplitter::Kind::too_long);
}

TEST(LineSplitter, FloodWithoutLineEndIsReportedOnceAndNotBuffered) {
  LineSplitter s(10, 100);
  s.feed(std::string(50, 'x'));
  EXPECT_EQ(s.next().kind, LineSplitter::Kind::too_long);
  s.feed(std::string(40, 'x'));
  EXPECT_EQ(s.next().kind, LineSplitter::Kind::need_more);  // 90 discarded
  s.feed(std::string(40, 'x'));
  EXPECT_EQ(s.next().kind, LineSplitter::Kind::flood);  // 130 discarded
  EXPECT_EQ(s.pending_size(), 0u);
  s.feed(std::string(1000, 'x'));
  EXPECT_EQ(s.next().kind, LineSplitter::Kind::need_more);
  EXPECT_EQ(s.pending_size(), 0u);
  s.feed("\r\nNOOP\r\n");
  EXPECT_EQ(s.next().line, "NOOP");
}

TEST(LineSplitter, ConsumeDropsPendingBytes) {
  LineSplitter s(10);
  s.feed("abcdef");
  s.consume(4);
  EXPECT_EQ(s.pending(), "ef");
  s.consume(100);
  EXPECT_EQ(s.pending_size(), 0u);
}

struct DataCase {
  const char* name;
  std::string input;
  bool done;
  std::string content;  // in reject mode
  bool bare;
};

TEST(DataReader, EndOfDataAndSmuggling) {
  const DataCase cases[] = {
      {"simple", "a\r\nb\r\n.\r\n", true, "a\nb\n", false},
      {"empty", ".\r\n", true, "", false},
      {"stuffed", "..\r\n..x\r\n.. \r\n...\r\n.x\r\n.\r\n", true, ".\n.x\n. \n..\nx\n", false},
      {"lf-dot-lf", "a\n.\nMAIL FROM:<x@evil>\r\n.\r\n", true, "aMAIL FROM:<x@evil>\n", true},
      {"cr-dot-cr", "a\r.\rspoof\r\n.\r\n", true, "a.spoof\n", true},
      {"crlf-dot-lf", "a\r\n.\nspoof\r\n.\r\n", true, "a\nspoof\n", true},
      {"lf-dot-crlf", "a\n.\r\nspoof\r\n.\r\n", true, "a.\nspoof\n", true},
      {"crlf-dot-cr-cr-lf", "a\r\n.\r\r\nspoof\r\n.\r\n", true, "a\n\nspoof\n", true},
      {"not yet", "a\r\n.", false, "a\n", false},
  };
  for (auto& c : cases) {
    DataReader r(1000, DataReader::BareNewline::reject);
    size_t used = r.feed(c.input);
    EXPECT_EQ(r.done(), c.done) << c.name;
    EXPECT_EQ(used, c.input.size()) << c.name;
    EXPECT_EQ(r.saw_bare_newline(), c.bare) << c.name;
    if (!c.bare) {
      EXPECT_EQ(r.output(), c.content) << c.name;
    }
  }
}

TEST(DataReader, NormalizeKeepsOneMessage) {
  DataReader r(1000, DataReader::BareNewline::normalize);
  std::string in = "a\n.\nMAIL FROM:<x@evil>\r\n.\r\nNOOP\r\n";
  size_t used = r.feed(in);
  EXPECT_TRUE(r.done());
  EXPECT_EQ(in.substr(used), "NOOP\r\n");
  EXPECT_EQ(r.output(), "a\n.\nMAIL FROM:<x@evil>\n");
}

TEST(DataReader, NormalizeNeedsRealCrlfBeforeTheDot) {
  DataReader r(1000, DataReader::BareNewline::normalize);
  r.feed("a\n.\r\nspoof\r\n");
  EXPECT_FALSE(r.done());
  r.feed(".\r\n");
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.output(), "a\n.\nspoof\n");
}

TEST(DataReader, ByteAtATimeMatchesWhole) {
  std::string in = "x\r\n..y\r\nz\r\n.\r\nQUIT\r\n";
  DataReader whole(1000, DataReader::BareNewline::reject);
  whole.feed(in);
  DataReader bytes(1000, DataReader::BareNewline::reject);
  size_t i = 0;
  while (!bytes.done()) bytes.feed(std::string_view(in).substr(i++, 1));
  EXPECT_EQ(whole.output(), bytes.output());
  EXPECT_EQ(in.substr(i), "QUIT\r\n");
}

// Runs longer than the fast path's look-ahead window, with and without
// CRs and LFs past it, decode as they do byte by byte.
TEST(DataReader, LongRunsMatchByteAtATime) {
  const std::string x(3000, 'x');
  for (std::string in : {x + "\r\n.\r\n", x + "\n" + x + "\r\n.\r\n", x + "\r" + x + "\n\r\n.\r\n",
                         x + std::string(1, '\0') + x + "\r\n.\r\n"}) {
    for (auto policy : {DataReader::BareNewline::reject, DataReader::BareNewline::normalize}) {
      DataReader whole(1 << 20, policy), slow(1 << 20, policy);
      whole.feed(in);
      for (char c : in) slow.feed(std::string_view(&c, 1));
      EXPECT_TRUE(whole.done());
      EXPECT_EQ(whole.output(), slow.output());
      EXPECT_EQ(whole.saw_bare_newline(), slow.saw_bare_newline());
      EXPECT_EQ(whole.saw_nul(), slow.saw_nul());
    }
  }
}

TEST(DataReader, SizeLimitKeepsReading) {
  DataReader r(3, DataReader::BareNewline::reject);
  r.feed("abcdef\r\n.\r\n");
  EXPECT_TRUE(r.done());
  EXPECT_TRUE(r.too_big());
  EXPECT_EQ(r.output(), "abc");
}

TEST(BdatDecoder, CrlfAcrossChunks) {
  BdatDecoder d(100);
  d.feed("a\r");
  d.feed("\nb\rc\n");
  d.finish();
  EXPECT_EQ(d.output(), "a\nb\rc\n");
}

}  // namespace
