// Tests of the IMAP command reader: tokens, literals of every kind fed in
// every split, limits, and error recovery (RELIABILITY.md #9-#13).
#include "imap/proto/command_reader.h"

#include <gtest/gtest.h>

using namespace tern::imap;

namespace {

// Renders the argument tree compactly: atom a, number #1, "quoted",
// {literal}, NIL, (list).
std::string show(const Value& v) {
  switch (v.kind) {
    case Value::Kind::atom: return v.text;
    case Value::Kind::number: return "#" + std::to_string(v.number);
    case Value::Kind::quoted: return "\"" + v.text + "\"";
    case Value::Kind::literal:
      return std::string(v.binary ? "~" : "") + "{" + (v.streamed ? "streamed" : v.text) + "}";
    case Value::Kind::nil: return "NIL";
    case Value::Kind::list: {
      std::string s = "(";
      for (size_t i = 0; i < v.items.size(); ++i) s += (i ? " " : "") + show(v.items[i]);
      return s + ")";
    }
  }
  return "?";
}
std::string show(const tern::imap::Command& c) {  // named in full: a unity batch may see smtp's too
  std::string s = c.tag + "|" + c.name;
  for (const auto& a : c.args) s += "|" + show(a);
  return s;
}

// Drives a reader like a session: answers continuations, collects events.
struct Driver {
  CommandReader r;
  std::vector<std::string> out;  // "cmd:..", "+", "err:..", "lit:N", "chunk:.."
  bool stream = false;
  bool refuse = false;
  explicit Driver(ReaderLimits l = {}) : r(l) {}
  void run() {
    for (;;) {
      Event e = r.next();
      switch (e.kind) {
        case Event::Kind::need_more: return;
        case Event::Kind::command: out.push_back("cmd:" + show(e.command)); break;
        case Event::Kind::literal:
          out.push_back("lit:" + std::to_string(e.literal.size) + (e.literal.synchronising ? "" : "+"));
          if (refuse) r.refuse_literal();
          else if (stream) r.stream_literal();
          break;
        case Event::Kind::continuation: out.push_back("+"); break;
        case Event::Kind::literal_chunk:
          if (!out.empty() && out.back().rfind("chunk:", 0) == 0) out.back() += e.chunk;
          else out.push_back("chunk:" + std::string(e.chunk));
          break;
        case Event::Kind::error:
          out.push_back("err:" + e.error.response().substr(0, e.error.response().size() - 2) +
                        (e.error.close ? " (close)" : ""));
          if (e.error.close) return;
          break;
      }
    }
  }
  std::vector<std::string> feed(std::string_view s) {
    r.feed(s);
    run();
    return out;
  }
  // Byte by byte: the same result as feeding at once.
  std::vector<std::string> trickle(std::string_view s) {
    for (char c : s) {
      r.feed(std::string_view(&c, 1));
      run();
    }
    return out;
  }
};

using V = std::vector<std::string>;

struct Case {
  const char* name;
  std::string in;
  V want;
};

TEST(CommandReader, Table) {
  const Case cases[] = {
      {"noop", "a1 NOOP\r\n", {"cmd:a1|NOOP"}},
      {"lowercase name, bare LF", "x login bob secret\n", {"cmd:x|LOGIN|bob|secret"}},
      {"quoted with escapes", "a LOGIN \"b\\\"o\\\\b\" \"\"\r\n", {"cmd:a|LOGIN|\"b\"o\\b\"|\"\""}},
      {"numbers and NIL", "a X 0 18446744073709551615 18446744073709551616 nil\r\n",
       {"cmd:a|X|#0|#18446744073709551615|18446744073709551616|NIL"}},
      {"lists", "a FETCH 1:* (FLAGS (UID) ())\r\n", {"cmd:a|FETCH|1:*|(FLAGS (UID) ())"}},
      {"section atom", "a FETCH 1 (BODY.PEEK[HEADER.FIELDS (From \"To\")]<0.100> UID)\r\n",
       {"cmd:a|FETCH|#1|(BODY.PEEK[HEADER.FIELDS (From \"To\")]<0.100> UID)"}},
      {"flags and wildcards", "a LIST \"\" %/*\r\nb STORE 1 +FLAGS (\\Seen)\r\n",
       {"cmd:a|LIST|\"\"|%/*", "cmd:b|STORE|#1|+FLAGS|(\\Seen)"}},
      {"tag with ]", "a] NOOP\r\n", {"cmd:a]|NOOP"}},
      {"empty lines ignored", "\r\n\r\na NOOP\r\n", {"cmd:a|NOOP"}},
      {"sync literal", "a LOGIN {3}\r\nbob {6}\r\nsecret\r\n", {"lit:3", "+", "lit:6", "+", "cmd:a|LOGIN|{bob}|{secret}"}},
      {"literal with CRLF inside", "a APPEND INBOX {7}\r\nx\r\nb NO\r\n", {"lit:7", "+", "cmd:a|APPEND|INBOX|{x\r\nb NO}"}},
      {"zero literal", "a LOGIN {0}\r\n {0}\r\n\r\n", {"lit:0", "+", "lit:0", "+", "cmd:a|LOGIN|{}|{}"}},
      {"literal in a list", "a X ({2}\r\nab c)\r\n", {"lit:2", "+", "cmd:a|X|({ab} c)"}},
      {"literal8 with NUL", std::string("a APPEND B ~{3}\r\na\0b\r\n", 22), {"lit:3", "+", std::string("cmd:a|APPEND|B|~{a\0b}", 21)}},
      {"NUL in plain literal", std::string("a LOGIN {3}\r\na\0b x\r\nb NOOP\r\n", 28),
       {"lit:3", "+", "err:a BAD NUL in literal (use literal8)", "cmd:b|NOOP"}},
      {"{5+} when LITERAL+ is off: BAD, 5 bytes discarded", "a LOGIN {5+}\r\nb X\r\n\r\nc NOOP\r\n",
       {"err:a BAD Non-synchronizing literals are not supported", "cmd:c|NOOP"}},
      {"literal not at line end", "a LOGIN {3} x\r\nb NOOP\r\n", {"err:a BAD Invalid literal", "cmd:b|NOOP"}},
      {"bad literal digits", "a LOGIN {3a}\r\n", {"err:a BAD Invalid literal"}},
      {"literal 2^40 refused before +", "a APPEND INBOX {1099511627776}\r\nb NOOP\r\n",
       {"err:a NO [TOOBIG] Literal too big", "cmd:b|NOOP"}},
      {"literal 2^32", "a APPEND INBOX {4294967296}\r\n", {"err:a NO [TOOBIG] Literal too big"}},
      {"literal over 2^64", "a APPEND INBOX {99999999999999999999}\r\n", {"err:a NO [TOOBIG] Literal too big"}},
      {"literal over the kept limit", "a LOGIN {65537}\r\nb NOOP\r\n", {"lit:65537", "err:a NO [TOOBIG] Literal too big", "cmd:b|NOOP"}},
      {"raw CR in quoted", "a LOGIN \"a\rb\" c\r\nb NOOP\r\n", {"err:a BAD Invalid character in quoted string", "cmd:b|NOOP"}},
      {"NUL in quoted", std::string("a LOGIN \"us\0er\" p\r\n", 19), {"err:a BAD Invalid character in quoted string"}},
      {"bad escape", "a LOGIN \"x\\q\" p\r\n", {"err:a BAD Invalid escape in quoted string"}},
      {"unterminated quote", "a LOGIN \"abc\r\n", {"err:a BAD Unterminated quoted string"}},
      {"NUL in atom", std::string("a LOGIN us\0er p\r\n", 17), {"err:a BAD Invalid character in atom"}},
      {"8-bit atom", "a SELECT caf\xc3\xa9\r\n", {"err:a BAD Invalid character in atom"}},
      {"tag *", "* NOOP\r\n", {"err:* BAD Invalid tag"}},
      {"tag +", "+ NOOP\r\n", {"err:* BAD Invalid tag"}},
      {"tag (", "a(b NOOP\r\n", {"err:* BAD Invalid tag"}},
      {"tag with +", "a+ NOOP\r\n", {"err:* BAD Invalid tag"}},
      {"tag only", "abc\r\n", {"err:abc BAD Missing command name"}},
      {"no name", "abc \r\n", {"err:abc BAD Missing command name"}},
      {"unbalanced (", "a X (b\r\n", {"err:a BAD Missing )"}},
      {"unbalanced )", "a X b)\r\n", {"err:a BAD Unexpected )"}},
      {"missing space", "a X \"b\"c\r\n", {"err:a BAD Missing space between arguments"}},
      {"missing ]", "a FETCH 1 BODY[TEXT\r\n", {"err:a BAD Missing ]"}},
      {"error line ending in {n+} discards its literal", "a X \"\\q\" {6+}\r\nb NOOP\r\nc NOOP\r\n",
       {"err:a BAD Invalid escape in quoted string", "cmd:c|NOOP"}},
      {"error line ending in {n}: no data follows", "a X \"\\q\" {6}\r\nb NOOP\r\n",
       {"err:a BAD Invalid escape in quoted string", "cmd:b|NOOP"}},
      {"pipelined", "a NOOP\r\nb NOOP\r\nc LOGOUT\r\n", {"cmd:a|NOOP", "cmd:b|NOOP", "cmd:c|LOGOUT"}},
  };
  for (const auto& c : cases) {
    Driver d;
    EXPECT_EQ(d.feed(c.in), c.want) << c.name;
    Driver slow;
    EXPECT_EQ(slow.trickle(c.in), c.want) << c.name << " (byte by byte)";
  }
}

TEST(CommandReader, LiteralPlusAndMinus) {
  ReaderLimits plus;
  plus.literal_plus = true;
  Driver d(plus);
  EXPECT_EQ(d.feed("a LOGIN {3+}\r\nbob {1+}\r\nx\r\n"), (V{"lit:3+", "lit:1+", "cmd:a|LOGIN|{bob}|{x}"}));

  ReaderLimits minus;
  minus.literal_minus = true;
  Driver m(minus);
  EXPECT_EQ(m.feed("a X {4096+}\r\n" + std::string(4096, 'x') + "\r\n"),
            (V{"lit:4096+", "cmd:a|X|{" + std::string(4096, 'x') + "}"}));
  Driver m2(minus);
  // Over 4096 under LITERAL-: refused, the bytes discarded, in sync after.
  EXPECT_EQ(m2.feed("a X {4097+}\r\n" + std::string(4097, 'x') + "\r\nb NOOP\r\n"),
            (V{"err:a BAD [TOOBIG] Non-synchronizing literal over 4096 bytes", "cmd:b|NOOP"}));

  // ... and the answer is BAD [TOOBIG] (a protocol violation), the stream
  // in sync for a command pipelined behind it, also when it comes late in
  // a command or a byte at a time.
  Driver m3(minus);
  EXPECT_EQ(m3.trickle("a LOGIN {3+}\r\nbob {5000+}\r\n" + std::string(5000, '}') + "\r\nb NOOP\r\n"),
            (V{"lit:3+", "err:a BAD [TOOBIG] Non-synchronizing literal over 4096 bytes", "cmd:b|NOOP"}));
  // With both advertised LITERAL+ wins: any size, up to max_literal_bytes.
  ReaderLimits both = plus;
  both.literal_minus = true;
  Driver b(both);
  EXPECT_EQ(b.feed("a X {5000+}\r\n" + std::string(5000, 'x') + "\r\nb NOOP\r\n"),
            (V{"lit:5000+", "cmd:a|X|{" + std::string(5000, 'x') + "}", "cmd:b|NOOP"}));

  // A non-synchronising literal beyond max_literal_bytes cannot be skipped: close.
  Driver big(plus);
  EXPECT_EQ(big.feed("a APPEND INBOX {1099511627776+}\r\nxxxx"),
            (V{"err:a BAD [TOOBIG] Literal too big (close)"}));
  // A line too long that ends by announcing such a literal: the line's
  // error, then the close, whether the line comes whole or a byte at a time
  // (the fuzzer found the whole line closing without the second).
  ReaderLimits short_lines = plus;
  short_lines.max_line_bytes = 100;
  const std::string long_line = "t X " + std::string(200, 'u') + " {1099511627776+}\r\nxxxx";
  const V expected{"err:t BAD Command line too long", "err:* BAD [TOOBIG] Literal too big (close)"};
  auto to_close = [](V v) {  // a reader that closed is not read further
    for (size_t i = 0; i < v.size(); ++i)
      if (v[i].ends_with("(close)")) v.resize(i + 1);
    return v;
  };
  Driver whole(short_lines), pieces(short_lines);
  EXPECT_EQ(to_close(whole.feed(long_line)), expected);
  EXPECT_EQ(to_close(pieces.trickle(long_line)), expected);
}

TEST(CommandReader, StreamedLiteralSplitAcrossFeeds) {
  Driver d;
  d.stream = true;
  std::string body(10000, 'm');
  std::string in = "a APPEND INBOX (\\Seen) {10000}\r\n" + body + "\r\n";
  for (size_t i = 0; i < in.size(); i += 7) {
    d.r.feed(std::string_view(in).substr(i, 7));
    d.run();
  }
  EXPECT_EQ(d.out, (V{"lit:10000", "+", "chunk:" + body, "cmd:a|APPEND|INBOX|(\\Seen)|{streamed}"}));
}

TEST(CommandReader, PartialShowsArgumentsSoFar) {
  CommandReader r;
  r.feed("a APPEND Drafts (\\Draft) {5}\r\n");
  Event e = r.next();
  ASSERT_EQ(e.kind, Event::Kind::literal);
  EXPECT_EQ(r.partial().name, "APPEND");
  ASSERT_EQ(r.partial().args.size(), 2u);
  EXPECT_EQ(*r.partial().args[0].astring(), "Drafts");
}

TEST(CommandReader, RefusedLiterals) {
  Driver d;
  d.refuse = true;  // e.g. APPEND to a mailbox that does not exist: NO [TRYCREATE] before "+"
  EXPECT_EQ(d.feed("a APPEND nosuchbox {5}\r\nb NOOP\r\n"), (V{"lit:5", "cmd:b|NOOP"}));
  ReaderLimits plus;
  plus.literal_plus = true;
  Driver p(plus);
  p.refuse = true;  // non-synchronising: the 5 bytes and the rest of the command are skipped
  EXPECT_EQ(p.feed("a APPEND nosuchbox {5+}\r\nhello {3+}\r\nabc\r\nb NOOP\r\n"), (V{"lit:5+", "cmd:b|NOOP"}));
}

TEST(CommandReader, LongLines) {
  ReaderLimits l;
  l.max_line_bytes = 100;
  Driver d(l);
  // Over the limit with no end in sight: answered at once, then skipped.
  d.feed("a X " + std::string(200, 'x'));
  EXPECT_EQ(d.out, (V{"err:a BAD Command line too long"}));
  d.feed(std::string(100000, 'y') + "\r\nb NOOP\r\n");
  EXPECT_EQ(d.out, (V{"err:a BAD Command line too long", "cmd:b|NOOP"}));
  // Exactly at the limit is fine.
  Driver ok(l);
  std::string line = "a X " + std::string(96, 'x');
  EXPECT_EQ(ok.feed(line + "\r\n"), (V{"cmd:a|X|" + std::string(96, 'x')}));
  // A long line whose tag is unreadable is answered untagged.
  Driver u(l);
  EXPECT_EQ(u.feed(std::string(300, '*') + "\r\n"), (V{"err:* BAD Command line too long"}));
  // A too-long line ending in "{n+}": its literal is skipped with it, however
  // the bytes arrive, even when the "{n+}" was read before the error (fuzz
  // find: the bytes read up to the error were forgotten).
  l.literal_plus = true;
  const std::string lit_line = "a APPEND INBOX " + std::string(100 - 15 - 5 + 1, 'x') + "{12+}";  // 101 bytes
  for (size_t piece : {size_t{1}, size_t{7}, size_t{4096}}) {
    Driver p(l);
    const std::string in = lit_line + "\r\nHello\r\nWorld\r\nb NOOP\r\n";
    for (size_t i = 0; i < in.size(); i += piece) p.feed(in.substr(i, piece));
    EXPECT_EQ(p.out, (V{"err:a BAD Command line too long", "cmd:b|NOOP"})) << piece;
  }
}

TEST(CommandReader, DeepNestingAndManyValues) {
  Driver d;
  EXPECT_EQ(d.feed("a SEARCH " + std::string(10000, '(') + "\r\nb NOOP\r\n"),
            (V{"err:a BAD Too deeply nested", "cmd:b|NOOP"}));
  ReaderLimits l;
  l.max_values = 10;
  Driver v(l);
  EXPECT_EQ(v.feed("a X 1 2 3 4 5 6 7 8 9 10 11\r\n"), (V{"err:a BAD Too many arguments"}));
  Driver e(l);
  EXPECT_EQ(e.feed("a X 1 2 3 4 5 6 7 8 9 10\r\n"), (V{"cmd:a|X|#1|#2|#3|#4|#5|#6|#7|#8|#9|#10"}));
}

TEST(CommandReader, RawLinesAndClear) {
  CommandReader r;
  r.feed("a AUTHENTICATE PLAIN\r\nAGJvYgBzZWNyZXQ=\r\nDONE\r\n");
  EXPECT_EQ(r.next().kind, Event::Kind::command);
  std::string line;
  bool too_long = false;
  ASSERT_TRUE(r.next_line(line, too_long));
  EXPECT_EQ(line, "AGJvYgBzZWNyZXQ=");
  EXPECT_EQ(r.pending_size(), 6u);
  r.clear();  // STARTTLS: what came with it in plaintext is dropped
  EXPECT_EQ(r.next().kind, Event::Kind::need_more);
}

}  // namespace

namespace {

// A streamed literal may be far larger than what the reader keeps in memory,
// and nothing of it is kept in the tree.
TEST(CommandReader, StreamedLiteralBeyondTheKeptLimit) {
  ReaderLimits l;
  l.max_buffered_literal_bytes = 16;
  l.max_literal_bytes = 1 << 20;
  CommandReader r(l);
  r.feed("a APPEND INBOX {100000}\r\n");
  ASSERT_EQ(r.next().kind, Event::Kind::literal);
  r.stream_literal();
  ASSERT_EQ(r.next().kind, Event::Kind::continuation);
  size_t got = 0;
  for (int i = 0; i < 100; ++i) {
    r.feed(std::string(1000, 'z'));
    for (Event e = r.next(); e.kind != Event::Kind::need_more; e = r.next()) {
      ASSERT_EQ(e.kind, Event::Kind::literal_chunk);
      got += e.chunk.size();
    }
  }
  EXPECT_EQ(got, 100000u);
  r.feed("\r\n");
  Event done = r.next();
  ASSERT_EQ(done.kind, Event::Kind::command);
  ASSERT_EQ(done.command.args.size(), 2u);
  EXPECT_TRUE(done.command.args[1].streamed);
  EXPECT_EQ(done.command.args[1].literal_size, 100000u);
  EXPECT_TRUE(done.command.args[1].text.empty());
}

// A client that vanishes mid-literal leaves the reader waiting, not broken;
// clear() (a new connection state) starts afresh.
TEST(CommandReader, VanishedMidLiteral) {
  CommandReader r;
  r.feed("a LOGIN {10}\r\nabc");
  EXPECT_EQ(r.next().kind, Event::Kind::literal);
  EXPECT_EQ(r.next().kind, Event::Kind::continuation);
  EXPECT_EQ(r.next().kind, Event::Kind::need_more);
  r.clear();
  r.feed("b NOOP\r\n");
  Event e = r.next();
  ASSERT_EQ(e.kind, Event::Kind::command);
  EXPECT_EQ(e.command.tag, "b");
}

}  // namespace
