// Unit tests of the POP3 command parser and reply formatting.
#include <gtest/gtest.h>

#include "pop3/proto/command.h"
#include "pop3/proto/reply.h"

namespace tern::pop3 {
namespace {

Command cmd(std::string_view line) {
  auto p = parse_command(line);
  EXPECT_TRUE(std::holds_alternative<Command>(p)) << line << ": " << std::get<ParseError>(p).text;
  return std::holds_alternative<Command>(p) ? std::get<Command>(p) : Command{Verb::noop, {}, {}, {}, 0};
}
std::string error(std::string_view line) {
  auto p = parse_command(line);
  EXPECT_TRUE(std::holds_alternative<ParseError>(p)) << line;
  return std::holds_alternative<ParseError>(p) ? std::get<ParseError>(p).text : "";
}

TEST(Pop3Command, KeywordsCaseInsensitive) {
  EXPECT_EQ(cmd("stat").verb, Verb::stat);
  EXPECT_EQ(cmd("Capa").verb, Verb::capa);
  EXPECT_EQ(cmd("sTlS").verb, Verb::stls);
  EXPECT_EQ(cmd("QUIT").verb, Verb::quit);
  EXPECT_EQ(error("STATS"), "Unknown command");
  EXPECT_EQ(error(""), "Unknown command");
  EXPECT_EQ(error(" STAT"), "Unknown command");
  EXPECT_EQ(error("STAT x"), "Syntax: STAT");
}

TEST(Pop3Command, MessageNumbers) {
  EXPECT_EQ(*cmd("RETR 1").msg, 1u);
  EXPECT_EQ(*cmd("retr 2147483648").msg, 2147483648u);
  EXPECT_EQ(*cmd("DELE 007").msg, 7u);
  for (auto bad : {"RETR 0", "RETR 2147483649", "RETR -1", "RETR +1", "RETR 0x10", "RETR 1.0", "RETR 99999999999999999999999"})
    EXPECT_EQ(error(bad), "Invalid message number") << bad;
  EXPECT_EQ(error("RETR"), "Syntax: RETR msg");
  EXPECT_EQ(error("RETR 1 2"), "Syntax: RETR msg");
  EXPECT_FALSE(cmd("LIST").msg);
  EXPECT_EQ(*cmd("LIST  3").msg, 3u);
  EXPECT_EQ(*cmd("UIDL 4").msg, 4u);
  EXPECT_EQ(error("UIDL 1 2"), "Syntax: UIDL [msg]");
}

TEST(Pop3Command, TopLineCounts) {
  auto t = cmd("TOP 2 10");
  EXPECT_EQ(*t.msg, 2u);
  EXPECT_EQ(t.lines, 10u);
  EXPECT_EQ(cmd("TOP 1 0").lines, 0u);
  EXPECT_EQ(cmd("TOP 1 99999999999999999999999999999").lines, UINT64_MAX);
  EXPECT_EQ(error("TOP 1 -1"), "Invalid line count");
  EXPECT_EQ(error("TOP 1"), "Syntax: TOP msg lines");
}

TEST(Pop3Command, UserPassAuth) {
  EXPECT_EQ(cmd("USER alice@virt.test").arg, "alice@virt.test");
  EXPECT_EQ(error("USER a b"), "Syntax: USER name");
  EXPECT_EQ(cmd("PASS  two words ").arg, " two words ");
  EXPECT_EQ(error("PASS"), "Syntax: PASS password");
  EXPECT_EQ(error("USER " + std::string(41, 'a')), "Argument too long");
  EXPECT_EQ(cmd("USER " + std::string(40, 'a')).arg.size(), 40u);
  auto a = cmd("AUTH PLAIN " + std::string(200, 'Q'));
  EXPECT_EQ(a.arg, "PLAIN");
  EXPECT_EQ(a.initial_response->size(), 200u);
  EXPECT_EQ(cmd("AUTH").arg, "");
  EXPECT_FALSE(cmd("AUTH LOGIN").initial_response);
  EXPECT_EQ(error("AUTH PLAIN a b"), "Syntax: AUTH [mechanism [initial-response]]");
  EXPECT_EQ(cmd("APOP alice 0123456789abcdef").verb, Verb::apop);
}

TEST(Pop3Command, HostileBytes) {
  EXPECT_EQ(error(std::string("STAT\0", 5)), "Invalid characters in command");
  EXPECT_EQ(error("USER a\rb"), "Invalid characters in command");
  EXPECT_EQ(error("PASS " + std::string(249, 'x')), "Command line too long");
  EXPECT_EQ(cmd("PASS " + std::string(248, 'x')).arg.size(), 248u);
}

TEST(Pop3Reply, StatusLines) {
  EXPECT_EQ(ok_line(""), "+OK\r\n");
  EXPECT_EQ(ok_line("2 320"), "+OK 2 320\r\n");
  EXPECT_EQ(err_line("Mailbox is locked", RespCode::in_use), "-ERR [IN-USE] Mailbox is locked\r\n");
  EXPECT_EQ(err_line("x", RespCode::sys_temp), "-ERR [SYS/TEMP] x\r\n");
  EXPECT_EQ(err_line("bad\r\n+OK", RespCode::auth), "-ERR [AUTH] bad??+OK\r\n");
}

std::string encode(std::string_view in, std::optional<uint64_t> lines = std::nullopt, size_t chunk = SIZE_MAX) {
  MultilineEncoder e(lines);
  std::string out;
  for (size_t i = 0; i < in.size(); i += chunk)
    if (!e.feed(in.substr(i, chunk), out)) break;
  e.finish(out);
  return out;
}

TEST(Pop3Reply, DotStuffingAndLineEnds) {
  EXPECT_EQ(encode(""), ".\r\n");
  EXPECT_EQ(encode("a\nb\n"), "a\r\nb\r\n.\r\n");
  EXPECT_EQ(encode("a\r\nb"), "a\r\nb\r\n.\r\n");
  EXPECT_EQ(encode(".\n..x\n.\r\nx.y\n"), "..\r\n...x\r\n..\r\nx.y\r\n.\r\n");
  EXPECT_EQ(encode("a\rb\n"), "a\rb\r\n.\r\n");
  EXPECT_EQ(encode("ends in cr\r"), "ends in cr\r\n.\r\n");
  // Chunk borders anywhere give the same bytes.
  std::string msg = "Subject: x\r\n.From: y\n\r\n.\r\nbody\n..\nlast";
  for (size_t c = 1; c < 8; ++c) EXPECT_EQ(encode(msg, std::nullopt, c), encode(msg)) << c;
}

TEST(Pop3Reply, TopCutsAfterHeaderAndLines) {
  std::string msg = "A: 1\nB: 2\n\nline1\n.line2\nline3\n";
  EXPECT_EQ(encode(msg, 0), "A: 1\r\nB: 2\r\n\r\n.\r\n");
  EXPECT_EQ(encode(msg, 2), "A: 1\r\nB: 2\r\n\r\nline1\r\n..line2\r\n.\r\n");
  EXPECT_EQ(encode(msg, UINT64_MAX), encode(msg));
  EXPECT_EQ(encode(msg, 2, 1), encode(msg, 2));
  EXPECT_EQ(encode("A: 1\r\nB: 2", 0), "A: 1\r\nB: 2\r\n.\r\n");  // no body at all
  EXPECT_EQ(encode("A: 1\r\n\r\n\r\n\r\nx", 1), "A: 1\r\n\r\n\r\n.\r\n");  // an empty body line counts
}

}  // namespace
}  // namespace tern::pop3
