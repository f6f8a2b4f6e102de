// Tests of the typed IMAP parsers over the argument tree: sequence sets,
// search keys, fetch attributes, STORE, flags, and the response helpers.
#include <gtest/gtest.h>

#include "imap/proto/command_reader.h"
#include "imap/proto/fetch.h"
#include "imap/proto/list.h"
#include "imap/proto/sort.h"
#include "imap/proto/thread.h"
#include "imap/proto/response.h"
#include "imap/proto/search.h"
#include "imap/proto/sequence_set.h"
#include "imap/proto/store.h"

using namespace tern::imap;

namespace {

// The arguments of one command line, through the real reader.
std::vector<Value> args_of(const std::string& line) {
  CommandReader r;
  r.feed("t X " + line + "\r\n");
  Event e = r.next();
  EXPECT_EQ(e.kind, Event::Kind::command) << line << ": " << e.error.text;
  return e.command.args;
}

std::string show_ranges(const std::vector<std::pair<uint32_t, uint32_t>>& rs) {
  std::string s;
  for (auto [a, b] : rs) s += (s.empty() ? "" : ",") + std::to_string(a) + "-" + std::to_string(b);
  return s;
}

TEST(SequenceSet, ParseAndResolve) {
  struct Case {
    const char* in;
    uint32_t max;
    const char* want;  // resolved ranges, or "invalid"
  } cases[] = {
      {"1:5,7,*", 10, "1-5,7-7,10-10"},
      {"5:1", 10, "1-5"},
      {"*:4", 10, "4-10"},
      {"1:*", 0, ""},
      {"*", 3, "3-3"},
      {"3,1,2", 9, "1-3"},
      {"1:4294967295", 7, "1-7"},
      {"100:*", 50, "50-50"},  // RFC 9051 6.4.8: includes the largest
      {"60:70", 50, ""},
      {"4294967295", 4294967295u, "4294967295-4294967295"},
      {"0", 10, "invalid"},
      {"1:0", 10, "invalid"},
      {"4294967296", 10, "invalid"},
      {"01", 10, "invalid"},
      {"", 10, "invalid"},
      {"1,", 10, "invalid"},
      {",1", 10, "invalid"},
      {"1::2", 10, "invalid"},
      {"1:2:3", 10, "invalid"},
      {"-1", 10, "invalid"},
      {"a", 10, "invalid"},
      {"**", 10, "invalid"},
  };
  for (const auto& c : cases) {
    auto s = parse_sequence_set(c.in);
    EXPECT_EQ(s ? show_ranges(s->resolve(c.max)) : "invalid", c.want) << c.in;
  }
  auto saved = parse_sequence_set("$");
  ASSERT_TRUE(saved);
  EXPECT_TRUE(saved->saved);
  EXPECT_FALSE(parse_sequence_set("1,2,3", 2));  // over max_ranges
  EXPECT_TRUE(parse_sequence_set("5:1")->contains(3, 10));
  EXPECT_TRUE(parse_sequence_set("2:*")->contains(10, 10));
  EXPECT_FALSE(parse_sequence_set("2:*")->contains(1, 10));
}

TEST(SequenceSet, Format) {
  EXPECT_EQ(format_sequence_set({}), "");
  EXPECT_EQ(format_sequence_set({1, 2, 3, 5, 7, 8}), "1:3,5,7:8");
  EXPECT_EQ(format_sequence_set({4294967294u, 4294967295u}), "4294967294:4294967295");
}

// Renders a search key tree in prefix form.
std::string show(const SearchKey& k) {
  using Op = SearchKey::Op;
  switch (k.op) {
    case Op::and_: {
      std::string s = "(and";
      for (const auto& c : k.children) s += " " + show(c);
      return s + ")";
    }
    case Op::or_: return "(or " + show(k.children[0]) + " " + show(k.children[1]) + ")";
    case Op::not_: return "(not " + show(k.children[0]) + ")";
    case Op::seqset: return "seq:" + show_ranges(k.set.resolve(100));
    case Op::uid: return "uid:" + show_ranges(k.set.resolve(100));
    case Op::header: return "header:" + k.field + "=" + k.text;
    case Op::since: case Op::before: case Op::on: case Op::senton: case Op::sentsince: case Op::sentbefore:
      return "date:" + std::to_string(k.date.year) + "/" + std::to_string(k.date.month) + "/" + std::to_string(k.date.day);
    case Op::larger: return "larger:" + std::to_string(k.number);
    case Op::smaller: return "smaller:" + std::to_string(k.number);
    case Op::modseq: return "modseq:" + k.field + "/" + k.text + "/" + std::to_string(k.number);
    case Op::keyword: return "keyword:" + k.text;
    case Op::subject: case Op::from: case Op::to: case Op::cc: case Op::bcc: case Op::body: case Op::text:
      return "str:" + k.text;
    case Op::all: return "all";
    case Op::seen: return "seen";
    case Op::unseen: return "unseen";
    case Op::deleted: return "deleted";
    default: return "op" + std::to_string(static_cast<int>(k.op));
  }
}

TEST(Search, Keys) {
  struct Case {
    const char* in;
    const char* want;
  } cases[] = {
      {"ALL", "(and all)"},
      {"1:3,5 UNSEEN", "(and seq:1-3,5-5 unseen)"},
      {"FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"", "(and op9 date:1994/2/1 (not str:Smith))"},
      {"OR SEEN (DELETED LARGER 100) SMALLER 5", "(and (or seen (and deleted larger:100)) smaller:5)"},
      {"HEADER Message-ID \"<x@y>\"", "(and header:Message-ID=<x@y>)"},
      {"UID 1:*", "(and uid:1-100)"},
      {"SENTON \"29-Feb-2024\"", "(and date:2024/2/29)"},
      {"KEYWORD $Junk", "(and keyword:$Junk)"},
      {"MODSEQ 620162338", "(and modseq://620162338)"},
      {"MODSEQ \"/flags/\\\\draft\" all 620162338", "(and modseq:/flags/\\draft/ALL/620162338)"},
      {"NOT NOT NOT SEEN", "(and (not (not (not seen))))"},
      {"SUBJECT {4}\r\nabcd", "(and str:abcd)"},
      {"$", "(and seq:)"},
  };
  for (const auto& c : cases) {
    std::string line = c.in;
    CommandReader r;
    r.feed("t SEARCH " + line + "\r\n");
    Event e;
    do e = r.next();
    while (e.kind == Event::Kind::literal || e.kind == Event::Kind::continuation);
    ASSERT_EQ(e.kind, Event::Kind::command) << c.in;
    auto res = parse_search(e.command.args, 0);
    ASSERT_TRUE(std::holds_alternative<SearchRequest>(res)) << c.in << ": " << std::get<SearchError>(res).text;
    EXPECT_EQ(show(std::get<SearchRequest>(res).root), c.want) << c.in;
  }
}

TEST(Search, Errors) {
  const char* bad[] = {
      "", "FOO", "SINCE 30-Feb-2024", "SINCE 29-Feb-2023", "SINCE 1-Foo-1994", "SINCE 1994-02-01",
      "SINCE 123-Feb-1994", "LARGER x", "LARGER 4294967296", "OR SEEN", "NOT", "HEADER Subject",
      "UID 0", "0", "4294967296", "5:0", "KEYWORD \\Seen", "()", "MODSEQ \"x\" bogus 5", "RETURN (FOO) ALL",
  };
  for (const char* b : bad) {
    auto res = parse_search(args_of(b), 0);
    EXPECT_TRUE(std::holds_alternative<SearchError>(res)) << b;
  }
  auto cs = parse_search(args_of("CHARSET KOI8-R ALL"), 0);
  ASSERT_TRUE(std::holds_alternative<SearchError>(cs));
  EXPECT_TRUE(std::get<SearchError>(cs).bad_charset);
  auto ok = parse_search(args_of("RETURN (MIN COUNT) CHARSET utf-8 TEXT \"caf\xc3\xa9\""), 0);
  ASSERT_TRUE(std::holds_alternative<SearchRequest>(ok));
  const auto& req = std::get<SearchRequest>(ok);
  EXPECT_TRUE(req.esearch && req.ret_min && req.ret_count && !req.ret_all);
  EXPECT_EQ(req.charset, "UTF-8");
  auto all = std::get<SearchRequest>(parse_search(args_of("RETURN () ALL"), 0));
  EXPECT_TRUE(all.ret_all);
  // NOT chains deeper than the limit: refused, no stack exhaustion.
  std::string deep;
  for (int i = 0; i < 1000; ++i) deep += "NOT ";
  EXPECT_TRUE(std::holds_alternative<SearchError>(parse_search(args_of(deep + "SEEN"), 0)));
}

// RFC 5267 return options: CONTEXT (a hint, "(CONTEXT)" alone is ALL),
// UPDATE, PARTIAL low:high (either order); PARTIAL with ALL, twice, with
// "*", 0, a negative or no range, and UPDATE twice are errors.
TEST(Search, ContextReturnOptions) {
  auto r = std::get<SearchRequest>(parse_search(args_of("RETURN (CONTEXT UPDATE PARTIAL 500:400 COUNT) ALL"), 0));
  EXPECT_TRUE(r.esearch && r.ret_update && r.ret_count && !r.ret_all);
  ASSERT_TRUE(r.partial);
  EXPECT_EQ(*r.partial, (PartialRange{400, 500}));
  auto ctx = std::get<SearchRequest>(parse_search(args_of("RETURN (CONTEXT) ALL"), 0));
  EXPECT_TRUE(ctx.ret_all && !ctx.ret_update && !ctx.partial);
  auto upd = std::get<SearchRequest>(parse_search(args_of("RETURN (UPDATE) ALL"), 0));
  EXPECT_TRUE(upd.ret_update && !upd.ret_all);  // only what was asked: no ALL
  auto big = std::get<SearchRequest>(parse_search(args_of("RETURN (PARTIAL 1:4294967295) ALL"), 0));
  EXPECT_EQ(big.partial->high, 4294967295u);
  for (const char* b : {"RETURN (PARTIAL 1:5 ALL) ALL", "RETURN (ALL PARTIAL 1:5) ALL", "RETURN (PARTIAL 1:5 PARTIAL 6:7) ALL",
                        "RETURN (PARTIAL 1:*) ALL", "RETURN (PARTIAL 0:5) ALL", "RETURN (PARTIAL -1:-5) ALL",
                        "RETURN (PARTIAL) ALL", "RETURN (PARTIAL 5) ALL", "RETURN (PARTIAL 1:4294967296) ALL",
                        "RETURN (PARTIAL (1:5)) ALL", "RETURN (PARTIAL 1:5:7) ALL", "RETURN (UPDATE UPDATE) ALL",
                        "RETURN (PARTIAL \"1:5\") ALL"}) {
    EXPECT_TRUE(std::holds_alternative<SearchError>(parse_search(args_of(b), 0))) << b;
  }
  EXPECT_EQ(parse_partial_range("7:3"), (PartialRange{3, 7}));
  EXPECT_FALSE(parse_partial_range(":3"));
  EXPECT_FALSE(parse_partial_range("3:"));
  auto sort = std::get<SortRequest>(parse_sort(args_of("RETURN (UPDATE PARTIAL 1:2) (DATE) UTF-8 ALL"), 0));
  EXPECT_TRUE(sort.search.ret_update && sort.search.partial);
}

TEST(Fetch, Attributes) {
  struct Case {
    const char* in;
    const char* want;  // response names joined by space, or "error"
  } cases[] = {
      {"ALL", "FLAGS INTERNALDATE RFC822.SIZE ENVELOPE"},
      {"fast", "FLAGS INTERNALDATE RFC822.SIZE"},
      {"FULL", "FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY"},
      {"(UID FLAGS MODSEQ BODYSTRUCTURE)", "UID FLAGS MODSEQ BODYSTRUCTURE"},
      {"BODY[]", "BODY[]"},
      {"BODY.PEEK[HEADER]", "BODY[HEADER]"},
      {"(BODY[HEADER.FIELDS (From \"To\" x-y)])", "BODY[HEADER.FIELDS (FROM TO X-Y)]"},
      {"BODY[1.2.HEADER.FIELDS.NOT (Subject)]", "BODY[1.2.HEADER.FIELDS.NOT (SUBJECT)]"},
      {"BODY[1.MIME]<0.100>", "BODY[1.MIME]<0>"},
      {"BODY[2.TEXT]<10.5>", "BODY[2.TEXT]<10>"},
      {"BODY[3]", "BODY[3]"},
      {"(BINARY.PEEK[1]<0.10> BINARY.SIZE[1] BINARY[])", "BINARY[1]<0> BINARY.SIZE[1] BINARY[]"},
      {"(RFC822 RFC822.HEADER RFC822.TEXT RFC822.SIZE INTERNALDATE ENVELOPE)",
       "RFC822 RFC822.HEADER RFC822.TEXT RFC822.SIZE INTERNALDATE ENVELOPE"},
      {"(ALL)", "error"},
      {"BODY[MIME]", "error"},
      {"BODY[0]", "error"},
      {"BODY[1.]", "error"},
      {"BODY[HEADER.FIELDS]", "error"},
      {"BODY[HEADER.FIELDS ()]", "error"},
      {"BODY[HEADER.FIELDS (a:b)]", "error"},
      {"BODY[TEXT.HEADER]", "error"},
      {"BODY[]<0.0>", "error"},
      {"BODY[]<0>", "error"},
      {"BODY[]<4294967296.1>", "error"},
      {"BINARY[HEADER]", "error"},
      {"BINARY.SIZE[1]<0.5>", "error"},
      {"BODY.PEEK", "error"},
      {"FOO", "error"},
      {"()", "error"},
  };
  for (const auto& c : cases) {
    auto res = parse_fetch(args_of(c.in), 0);
    std::string got;
    if (auto* r = std::get_if<FetchRequest>(&res)) {
      for (const auto& a : r->atts) got += (got.empty() ? "" : " ") + a.response_name();
    } else {
      got = "error";
    }
    EXPECT_EQ(got, c.want) << c.in;
  }
  // Part numbers: 100 deep is allowed, 200 deep refused (RELIABILITY.md #13).
  std::string p100 = "1", p200 = "1";
  for (int i = 1; i < 100; ++i) p100 += ".1";
  for (int i = 1; i < 200; ++i) p200 += ".1";
  EXPECT_TRUE(std::holds_alternative<FetchRequest>(parse_fetch(args_of("BODY[" + p100 + "]"), 0)));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_fetch(args_of("BODY[" + p200 + "]"), 0)));
  // Seen semantics.
  auto peek = std::get<FetchAtt>(parse_fetch_att("BODY.PEEK[]"));
  EXPECT_FALSE(peek.sets_seen());
  EXPECT_TRUE(std::get<FetchAtt>(parse_fetch_att("BODY[]")).sets_seen());
  EXPECT_TRUE(std::get<FetchAtt>(parse_fetch_att("RFC822")).sets_seen());
  EXPECT_FALSE(std::get<FetchAtt>(parse_fetch_att("RFC822.HEADER")).sets_seen());
}

TEST(Fetch, Modifiers) {
  auto r = std::get<FetchRequest>(parse_fetch(args_of("(FLAGS) (CHANGEDSINCE 12345 VANISHED)"), 0));
  EXPECT_TRUE(r.changedsince && r.vanished);
  EXPECT_EQ(r.changedsince_modseq, 12345u);
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_fetch(args_of("FLAGS (VANISHED)"), 0)));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_fetch(args_of("FLAGS (CHANGEDSINCE)"), 0)));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_fetch(args_of("FLAGS (CHANGEDSINCE 1) x"), 0)));
}

TEST(Store, Requests) {
  auto a = std::get<StoreRequest>(parse_store(args_of("+FLAGS.SILENT (\\seen $Label)"), 0));
  EXPECT_EQ(a.mode, StoreRequest::Mode::add);
  EXPECT_TRUE(a.silent);
  EXPECT_EQ(a.flags, (std::vector<std::string>{"\\Seen", "$Label"}));
  auto b = std::get<StoreRequest>(parse_store(args_of("(UNCHANGEDSINCE 320162338) -flags \\Deleted \\DRAFT"), 0));
  EXPECT_EQ(b.mode, StoreRequest::Mode::remove);
  EXPECT_EQ(b.unchangedsince, 320162338u);
  EXPECT_EQ(b.flags, (std::vector<std::string>{"\\Deleted", "\\Draft"}));
  auto c = std::get<StoreRequest>(parse_store(args_of("FLAGS ()"), 0));
  EXPECT_EQ(c.mode, StoreRequest::Mode::replace);
  EXPECT_TRUE(c.flags.empty());
  const char* bad[] = {"", "FLAGS", "+FLAGS (\\Recent)", "FLAGS (\\Foo)", "FLAGS.LOUD (\\Seen)", "FLAGS \"x\"",
                       "(UNCHANGEDSINCE x) FLAGS (\\Seen)", "(FOO 1) FLAGS (\\Seen)", "FLAGS (\\Seen) extra",
                       "FLAGS ((\\Seen))", "*FLAGS (\\Seen)"};
  for (const char* s : bad) EXPECT_TRUE(std::holds_alternative<std::string>(parse_store(args_of(s), 0))) << s;
}

TEST(Response, Strings) {
  EXPECT_EQ(format_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(format_string("a\r\nb"), "{4}\r\na\r\nb");
  EXPECT_EQ(format_string(std::string("a\0b", 3)), std::string("{3}\r\na\0b", 8));
  EXPECT_EQ(format_string("caf\xc3\xa9"), "{5}\r\ncaf\xc3\xa9");
  EXPECT_EQ(format_string("caf\xc3\xa9", true), "\"caf\xc3\xa9\"");
  EXPECT_EQ(format_string(std::string(5000, 'x')).substr(0, 8), "{5000}\r\n");
  EXPECT_EQ(format_nstring(std::nullopt), "NIL");
  EXPECT_EQ(format_nstring(std::string("")), "\"\"");
  EXPECT_EQ(format_astring("INBOX"), "INBOX");
  EXPECT_EQ(format_astring("nil"), "\"nil\"");
  EXPECT_EQ(format_astring("My Folder"), "\"My Folder\"");
  EXPECT_EQ(format_astring(""), "\"\"");
  EXPECT_EQ(format_flag_list({"\\Seen", "$Junk"}), "(\\Seen $Junk)");
  EXPECT_EQ(format_flag_list({}), "()");
}

}  // namespace

TEST(ListArgs, PlainAndExtendedForms) {
  auto plain = std::get<ListRequest>(parse_list(args_of("\"\" *")));
  EXPECT_FALSE(plain.extended);
  EXPECT_EQ(plain.patterns, std::vector<std::string>{"*"});
  auto ext = std::get<ListRequest>(parse_list(
      args_of("(SUBSCRIBED RECURSIVEMATCH remote) Work (INBOX \"a b\" %) RETURN (children STATUS (MESSAGES unseen))")));
  EXPECT_TRUE(ext.extended && ext.select_subscribed && ext.recursive_match && ext.return_children);
  EXPECT_FALSE(ext.select_special_use || ext.return_subscribed || ext.return_special_use);
  EXPECT_EQ(ext.reference, "Work");
  EXPECT_EQ(ext.patterns, (std::vector<std::string>{"INBOX", "a b", "%"}));
  EXPECT_EQ(ext.status_items, (std::vector<std::string>{"MESSAGES", "UNSEEN"}));
  auto ret = std::get<ListRequest>(parse_list(args_of("\"\" * RETURN (SUBSCRIBED SPECIAL-USE)")));
  EXPECT_TRUE(ret.extended && ret.return_subscribed && ret.return_special_use);
  EXPECT_TRUE(std::get<ListRequest>(parse_list(args_of("() \"\" *"))).extended);
  for (const char* wrong : {"\"\"", "\"\" * *", "(RECURSIVEMATCH) \"\" *", "(BOGUS) \"\" *", "\"\" ()",
                            "\"\" * RETURN", "\"\" * RETURN (STATUS)", "\"\" * RETURN (STATUS ())",
                            "\"\" * RETURN (STATUS (BOGUS))", "\"\" * RETURN (BOGUS)", "\"\" * OTHER ()",
                            "\"\" * RETURN () ()", "(\"\") * \"\"", "\"\" ((x))"})
    EXPECT_TRUE(std::holds_alternative<std::string>(parse_list(args_of(wrong)))) << wrong;
}

TEST(SortArgs, CriteriaCharsetAndReturn) {
  auto plain = std::get<SortRequest>(parse_sort(args_of("(REVERSE date subject) utf-8 UNSEEN"), 0));
  ASSERT_EQ(plain.criteria.size(), 2u);
  EXPECT_TRUE(plain.criteria[0].reverse);
  EXPECT_EQ(plain.criteria[0].key, SortCriterion::Key::date);
  EXPECT_FALSE(plain.criteria[1].reverse);
  EXPECT_EQ(plain.criteria[1].key, SortCriterion::Key::subject);
  EXPECT_FALSE(plain.search.esearch);
  EXPECT_EQ(plain.search.charset, "UTF-8");
  ASSERT_EQ(plain.search.root.children.size(), 1u);
  auto esort = std::get<SortRequest>(parse_sort(args_of("RETURN (MIN COUNT) (DISPLAYFROM ARRIVAL) US-ASCII ALL"), 0));
  EXPECT_TRUE(esort.search.esearch && esort.search.ret_min && esort.search.ret_count && !esort.search.ret_all);
  EXPECT_EQ(esort.criteria[0].key, SortCriterion::Key::display_from);
  EXPECT_TRUE(std::get<SearchError>(parse_sort(args_of("(DATE) KOI8-R ALL"), 0)).bad_charset);
  for (const char* wrong : {"(DATE) UTF-8", "() UTF-8 ALL", "(REVERSE) UTF-8 ALL", "(REVERSE REVERSE DATE) UTF-8 ALL",
                            "(BOGUS) UTF-8 ALL", "DATE UTF-8 ALL", "(DATE)", "RETURN (BOGUS) (DATE) UTF-8 ALL",
                            "(DATE) UTF-8 CHARSET UTF-8 ALL", "(DATE) UTF-8 RETURN (ALL) ALL", "(DATE) (x) ALL"})
    EXPECT_TRUE(std::holds_alternative<SearchError>(parse_sort(args_of(wrong), 0))) << wrong;
}

// RFC 5256 2.1, case by case.
TEST(SortArgs, BaseSubject) {
  struct Case {
    const char* in;
    const char* want;
  } cases[] = {
      {"Hello", "HELLO"},
      {"Re: Hello", "HELLO"},
      {"RE:re: Fwd:  hello  world", "HELLO WORLD"},
      {"Fw: hello (fwd)", "HELLO"},
      {"hello (fwd) (FWD)  ", "HELLO"},
      {"[tern-users] Re: hello", "HELLO"},
      {"Re[2]: hello", "HELLO"},
      {"Re [list]: hello", "HELLO"},
      {"[tern-users] hello", "HELLO"},
      {"[tern-users]", "[TERN-USERS]"},
      {"[a] [b]", "[B]"},
      {"[Fwd: Re: hello]", "HELLO"},
      {"[Fwd: [list] hello] (fwd)", "HELLO"},
      {"Report: numbers", "REPORT: NUMBERS"},
      {"\thello\r\n world", "HELLO WORLD"},
      {"Re:", ""},
      {"", ""},
      {"[unclosed hello", "[UNCLOSED HELLO"},
  };
  for (const auto& c : cases) EXPECT_EQ(base_subject(c.in), c.want) << c.in;
}

namespace {

ThreadMessage msg(uint32_t n, std::string id, std::vector<std::string> refs, std::string subject, int64_t date) {
  ThreadMessage m;
  m.number = n;
  m.message_id = std::move(id);
  m.references = std::move(refs);
  m.base_subject = base_subject(subject, &m.reply);
  m.date = date;
  return m;
}

}  // namespace

TEST(Thread, MessageIds) {
  EXPECT_EQ(message_ids("<a@x> <b@y>\r\n <c@z>"), (std::vector<std::string>{"a@x", "b@y", "c@z"}));
  EXPECT_EQ(message_ids("junk <a@x> <> <unclosed"), std::vector<std::string>{"a@x"});
  EXPECT_EQ(message_ids("<1><2><3>", 2), (std::vector<std::string>{"2", "3"}));
}

TEST(Thread, OrderedSubject) {
  std::vector<ThreadMessage> m = {msg(1, "", {}, "hello", 30), msg(2, "", {}, "Re: hello", 40),
                                  msg(3, "", {}, "other", 10), msg(4, "", {}, "RE: Hello", 35),
                                  msg(5, "", {}, "alone", 50)};
  // Threads by their first date: other (10), hello (30: 1, then 4 at 35 and 2 at 40), alone (50).
  EXPECT_EQ(thread_list(m, ThreadAlgorithm::ordered_subject), "(3)(1 (4)(2))(5)");
  EXPECT_EQ(thread_list({msg(7, "", {}, "a", 1), msg(8, "", {}, "Re: a", 2)}, ThreadAlgorithm::ordered_subject),
            "(7 8)");
  EXPECT_EQ(thread_list({}, ThreadAlgorithm::ordered_subject), "");
}

TEST(Thread, References) {
  // A reply chain 1 <- 2 <- 3, a second reply 4 to 1, and 5 replying to a
  // message not in the mailbox together with 6: the dummy parent stays.
  std::vector<ThreadMessage> m = {
      msg(1, "a@x", {}, "plan", 10),          msg(2, "b@x", {"a@x"}, "Re: plan", 20),
      msg(3, "c@x", {"a@x", "b@x"}, "Re: plan", 30), msg(4, "d@x", {"a@x"}, "Re: plan", 25),
      msg(5, "e@x", {"gone@x"}, "Re: other", 40),     msg(6, "f@x", {"gone@x"}, "Re: other", 50)};
  EXPECT_EQ(thread_list(m, ThreadAlgorithm::references), "(1 (2 3)(4))((5)(6))");
}

TEST(Thread, ReferencesGathersBySubjectAndCutsLoops) {
  // 2 has no references but its subject is a reply to 1's: gathered under it.
  EXPECT_EQ(thread_list({msg(1, "a@x", {}, "news", 10), msg(2, "b@x", {}, "Re: news", 20)},
                        ThreadAlgorithm::references),
            "(1 2)");
  // Two non-replies with one subject: a dummy over both.
  EXPECT_EQ(thread_list({msg(1, "a@x", {}, "news", 10), msg(2, "b@x", {}, "news", 20)}, ThreadAlgorithm::references),
            "((1)(2))");
  // A loop (each names the other), a self-reference and a duplicate Message-ID:
  // every message comes out exactly once.
  std::vector<ThreadMessage> loop = {msg(1, "a@x", {"b@x"}, "x", 10), msg(2, "b@x", {"a@x"}, "y", 20),
                                     msg(3, "c@x", {"c@x"}, "z", 30), msg(4, "c@x", {}, "w", 40)};
  std::string out = thread_list(loop, ThreadAlgorithm::references);
  for (const char* n : {"1", "2", "3", "4"}) EXPECT_EQ(std::count(out.begin(), out.end(), n[0]), 1) << out;
  EXPECT_EQ(out.front(), '(');
  EXPECT_EQ(out.back(), ')');
}
