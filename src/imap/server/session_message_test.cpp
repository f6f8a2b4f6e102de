// IMAP session tests, selected state over a real Maildir: SELECT/EXAMINE,
// FETCH (every raw item, sections, partials, \Seen, the MIME seam's NO),
// STORE, SEARCH, EXPUNGE, CLOSE, UNSELECT, COPY, MOVE, UID forms, bad
// sequence sets, and what another session does meanwhile (NOOP, IDLE).
#include <gtest/gtest.h>

#include "imap/server/message_text.h"
#include "imap/server/mime_parser.h"
#include "imap/server/session_harness.h"

namespace tern::imap {
namespace {

using testing::FakeHost;
using testing::kLogin;
using testing::script;
using testing::tagged;

const std::string kMsg1 =
    "From: Ann <ann@example.org>\nTo: alice@virt.test\nSubject: hello there\nDate: Tue, 1 Jul 2003 10:52:37 +0200\n"
    "\nfirst line\nsecond\n";
const std::string kMsg2 = "From: Bob <bob@example.com>\nSubject: other\n\n" + std::string(200, 'y') + "\n";

std::string validity(FakeHost& h, const std::string& folder = "INBOX") {
  return std::to_string((*h.store_of().open(folder))->uidvalidity());
}

struct MessageBox : FakeHost {
  MessageBox() {
    deliver(kMsg1);
    deliver(kMsg2);
  }
};

TEST(ImapSelected, SelectAndExamine) {
  MessageBox h;
  auto t = testing::run(h, script({kLogin, "a SELECT inbox", "b EXAMINE INBOX", "c SELECT Nothing", "d FETCH 1 UID"}));
  EXPECT_NE(t.written.find("* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $Forwarded)\r\n"
                           "* 2 EXISTS\r\n* 0 RECENT\r\n* OK [UNSEEN 1] First unseen.\r\n"
                           "* OK [PERMANENTFLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $Forwarded \\*)] "
                           "Flags permitted\r\n"
                           "* OK [UIDVALIDITY " + validity(h) + "] UIDs valid.\r\n"
                           "* OK [UIDNEXT 3] Predicted next UID.\r\na OK [READ-WRITE] Select completed.\r\n"),
            std::string::npos)
      << t.written;
  EXPECT_NE(t.written.find("* OK [PERMANENTFLAGS ()] No permanent flags permitted\r\n"), std::string::npos);
  EXPECT_EQ(tagged(t.written, "b"), "b OK [READ-ONLY] Examine completed.");
  EXPECT_EQ(tagged(t.written, "c"), "c NO [NONEXISTENT] Mailbox does not exist.");
  EXPECT_EQ(tagged(t.written, "d"), "d BAD Command not valid in this state.");  // the failed SELECT deselected
}

TEST(ImapSelected, FetchRawItems) {
  MessageBox h;
  std::string c1 = to_crlf(kMsg1);
  std::string head = std::string(header_of(c1)), text = std::string(text_of(c1));
  auto t = testing::run(h, script({kLogin, "s SELECT INBOX", "a FETCH 1:* (FLAGS UID RFC822.SIZE INTERNALDATE)",
                                   "b FETCH 1 BODY.PEEK[HEADER.FIELDS (Subject from)]",
                                   "c FETCH 1 (BODY.PEEK[HEADER.FIELDS.NOT (From To Date)] BODY.PEEK[TEXT])",
                                   "d FETCH 1 BODY.PEEK[]<0.6>", "e FETCH 1 (RFC822.HEADER)", "f FETCH 1 FLAGS",
                                   "g FETCH 2 BODY[]<100.5>", "h UID FETCH 2 (BODY.PEEK[]<9999.5>)",
                                   "i FETCH 1 RFC822", "j FETCH 2 FAST"}));
  const std::string& w = t.written;
  EXPECT_NE(w.find("* 1 FETCH (FLAGS () UID 1 RFC822.SIZE " + std::to_string(c1.size()) +
                   " INTERNALDATE \"14-Nov-2023 22:13:20 +0000\")\r\n* 2 FETCH (FLAGS () UID 2 RFC822.SIZE " +
                   std::to_string(kMsg2.size() + 4) + " INTERNALDATE"),
            std::string::npos)
      << w;
  std::string fields = "From: Ann <ann@example.org>\r\nSubject: hello there\r\n\r\n";
  EXPECT_NE(w.find("* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT FROM)] {" + std::to_string(fields.size()) + "}\r\n" +
                   fields + ")\r\nb OK"),
            std::string::npos)
      << w;
  EXPECT_NE(w.find("* 1 FETCH (BODY[HEADER.FIELDS.NOT (FROM TO DATE)] {24}\r\nSubject: hello there\r\n\r\n "
                   "BODY[TEXT] {" + std::to_string(text.size()) + "}\r\n" + text + ")\r\n"),
            std::string::npos)
      << w;
  EXPECT_NE(w.find("* 1 FETCH (BODY[]<0> {6}\r\nFrom: )\r\n"), std::string::npos);
  EXPECT_NE(w.find("* 1 FETCH (RFC822.HEADER {" + std::to_string(head.size()) + "}\r\n" + head + ")\r\n"),
            std::string::npos);
  EXPECT_NE(w.find("* 1 FETCH (FLAGS ())\r\nf OK"), std::string::npos);  // PEEK set nothing
  // BODY[] without PEEK sets \Seen and says so.
  EXPECT_NE(w.find("* 2 FETCH (BODY[]<100> {5}\r\nyyyyy FLAGS (\\Seen))\r\ng OK"), std::string::npos) << w;
  EXPECT_NE(w.find("* 2 FETCH (UID 2 BODY[]<9999> {0}\r\n)\r\nh OK"), std::string::npos) << w;
  EXPECT_NE(w.find("* 1 FETCH (RFC822 {" + std::to_string(c1.size()) + "}\r\n" + c1 + " FLAGS (\\Seen))\r\n"),
            std::string::npos);
  EXPECT_NE(w.find("* 2 FETCH (FLAGS (\\Seen) INTERNALDATE"), std::string::npos);
  auto box = h.store_of().open("INBOX");
  EXPECT_EQ((*box)->messages()[0].flags, store::kFlagSeen);
}

TEST(ImapSelected, FetchNeedsStructureOrIsBad) {
  MessageBox h;
  auto t = testing::run(h, script({kLogin, "s SELECT INBOX", "a FETCH 1 ENVELOPE", "b FETCH 1 (FLAGS BODYSTRUCTURE)",
                                   "c FETCH 1 BODY[1.MIME]", "d FETCH 0 FLAGS", "e FETCH 3 FLAGS", "f FETCH 1 BOGUS",
                                   "g FETCH 1:4294967295 FLAGS", "h FETCH 2:* UID", "i UID FETCH 5:9 FLAGS",
                                   "j UID FETCH 9:* FLAGS", "k FETCH 1 BODY[" + [] {
                                     std::string p = "1";
                                     for (int i = 0; i < 200; ++i) p += ".1";
                                     return p;
                                   }() + "]",
                                   "m FETCH 1 (FLAGS) (CHANGEDSINCE 1)"}));
  const std::string& w = t.written;
  for (std::string tag : {"a", "b", "c"})
    EXPECT_EQ(tagged(w, tag), tag + " NO [CANNOT] ENVELOPE, BODYSTRUCTURE, MIME parts and BINARY are not available yet.");
  EXPECT_EQ(w.find("* 1 FETCH (FLAGS"), w.find("* 1 FETCH (FLAGS () MODSEQ"));  // nothing of b was sent
  EXPECT_EQ(tagged(w, "d"), "d BAD Invalid sequence set.");
  EXPECT_EQ(tagged(w, "e"), "e BAD Invalid message sequence number.");
  EXPECT_TRUE(tagged(w, "f").starts_with("f BAD"));
  EXPECT_EQ(tagged(w, "g"), "g BAD Invalid message sequence number.");
  EXPECT_NE(w.find("* 2 FETCH (UID 2)\r\nh OK"), std::string::npos);
  EXPECT_EQ(tagged(w, "i"), "i OK Fetch completed.");
  EXPECT_NE(w.find("* 2 FETCH (UID 2 FLAGS ())\r\nj OK"), std::string::npos);  // "9:*" is "2:9"
  EXPECT_TRUE(tagged(w, "k").starts_with("k BAD")) << w;
  // CHANGEDSINCE turns CONDSTORE on: the message's MODSEQ comes with it.
  EXPECT_EQ(tagged(w, "m"), "m OK Fetch completed.") << w;
  EXPECT_NE(w.find("* OK [HIGHESTMODSEQ "), std::string::npos) << w;
  EXPECT_NE(w.find("* 1 FETCH (FLAGS () MODSEQ ("), std::string::npos) << w;
  EXPECT_EQ(w.find("* 2 FETCH (UID 2 FLAGS () MODSEQ"), std::string::npos) << w;  // a first modseq is no change
}

// The MIME seam: with a parser wired, ENVELOPE, BODY, BODYSTRUCTURE,
// numbered parts and BINARY are its answers, given the CRLF message.
class FakeStructure final : public MessageStructure {
 public:
  explicit FakeStructure(size_t size) : size_(size) {}
  std::string envelope() const override { return "(\"env\" " + std::to_string(size_) + ")"; }
  std::string bodystructure(bool extensible) const override { return extensible ? "(\"bs\")" : "(\"b\")"; }
  std::optional<std::string> section(const Section& s) const override {
    if (s.part.size() == 1 && s.part[0] == 1) return "part";
    return std::nullopt;
  }
  Decoded binary(const std::vector<uint32_t>& part) const override {
    if (part == std::vector<uint32_t>{1}) return {Decoded::Status::ok, "decoded"};
    if (part == std::vector<uint32_t>{2}) return {Decoded::Status::ok, std::string("a\0b", 3)};
    if (part == std::vector<uint32_t>{3}) return {Decoded::Status::unknown_cte, ""};
    return {Decoded::Status::no_part, ""};
  }

 private:
  size_t size_;
};
class FakeParser final : public MessageParser {
 public:
  std::unique_ptr<MessageStructure> parse(std::string_view crlf) const override {
    return std::make_unique<FakeStructure>(crlf.size());
  }
  SortFields sort_fields(std::string_view) const override { return {}; }
};

TEST(ImapSelected, FetchThroughTheMimeSeam) {
  MessageBox h;
  h.edit().structure = std::make_shared<FakeParser>();
  std::string size = std::to_string(to_crlf(kMsg1).size());
  auto t = testing::run(h, script({kLogin, "s SELECT INBOX",
                                   "a FETCH 1 (ENVELOPE BODY BODYSTRUCTURE BODY.PEEK[1] BODY.PEEK[2.MIME])",
                                   "b FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1] BINARY.PEEK[4])",
                                   "c FETCH 1 (BINARY.PEEK[2] BINARY.SIZE[2])", "d FETCH 1 (UID BINARY.PEEK[3])",
                                   "e FETCH 1 BINARY.SIZE[3]"}));
  EXPECT_NE(t.written.find("* 1 FETCH (ENVELOPE (\"env\" " + size +
                           ") BODY (\"b\") BODYSTRUCTURE (\"bs\") BODY[1] {4}\r\npart BODY[2.MIME] NIL)\r\na OK"),
            std::string::npos)
      << t.written;
  EXPECT_NE(t.written.find("* 1 FETCH (BINARY[1] {7}\r\ndecoded BINARY.SIZE[1] 7 BINARY[4] NIL)\r\nb OK"),
            std::string::npos)
      << t.written;
  // Decoded content with a NUL goes as a literal8 (RFC 3516 4.3).
  EXPECT_NE(t.written.find("* 1 FETCH (BINARY[2] ~{3}\r\n" + std::string("a\0b", 3) + " BINARY.SIZE[2] 3)\r\nc OK"),
            std::string::npos)
      << t.written;
  // An encoding that cannot be undone fails the FETCH with UNKNOWN-CTE, nothing half-answered.
  EXPECT_NE(t.written.find("c OK Fetch completed.\r\nd NO [UNKNOWN-CTE] "), std::string::npos) << t.written;
  EXPECT_TRUE(tagged(t.written, "e").starts_with("e NO [UNKNOWN-CTE] ")) << t.written;
}

// The real parser (mime/, GMime) behind the seam.
TEST(ImapSelected, FetchStructureWithTheMimeModule) {
  FakeHost h;
  h.deliver("From: Ann <ann@example.org>\nSubject: parts\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nhello\n"
            "--b\nContent-Type: text/html\n\n<p>x</p>\n--b--\n");
  h.edit().structure = std::make_shared<MimeParser>();
  auto t = testing::run(h, script({kLogin, "s SELECT INBOX", "a FETCH 1 (ENVELOPE BODYSTRUCTURE BODY.PEEK[2] BODY.PEEK[3])",
                                   "b FETCH 1 BODY[2.MIME]"}));
  const std::string& w = t.written;
  EXPECT_NE(w.find("* 1 FETCH (ENVELOPE ("), std::string::npos) << w;
  EXPECT_NE(w.find("\"parts\""), std::string::npos);
  EXPECT_NE(w.find(" BODYSTRUCTURE (("), std::string::npos);
  EXPECT_NE(w.find(" BODY[2] {8}\r\n<p>x</p> BODY[3] NIL)\r\na OK Fetch completed.\r\n"), std::string::npos) << w;
  EXPECT_NE(w.find("* 1 FETCH (BODY[2.MIME] {"), std::string::npos);
  EXPECT_NE(w.find("Content-Type: text/html\r\n\r\n FLAGS (\\Seen))\r\nb OK"), std::string::npos) << w;
}

TEST(ImapSelected, StoreFlagsAndKeywords) {
  MessageBox h;
  auto t = testing::run(h, script({kLogin, "s SELECT INBOX", "a STORE 1 +FLAGS (\\Flagged $Work)",
                                   "b STORE 1:2 +FLAGS.SILENT (\\Seen)", "c UID STORE 2 -FLAGS (\\Seen)",
                                   "d STORE 1 FLAGS (\\Answered Later)", "e STORE 1 +FLAGS (\\Recent)",
                                   "f STORE 1 +FLAGS (\\Bogus)", "g FETCH 1:2 FLAGS", "h STORE 1 REPLACE (x)"}));
  const std::string& w = t.written;
  EXPECT_NE(w.find("* 1 FETCH (FLAGS (\\Flagged $Work))\r\na OK Store completed.\r\n"), std::string::npos) << w;
  // $Work is new: FLAGS and PERMANENTFLAGS name it before the FETCH shows it (RFC 9051 7.3.5).
  size_t flags_at = w.find("* FLAGS (", w.find("s OK"));
  ASSERT_NE(flags_at, std::string::npos) << w;
  EXPECT_NE(w.substr(flags_at, w.find("\r\n", flags_at) - flags_at).find("$Work"), std::string::npos) << w;
  EXPECT_LT(flags_at, w.find("* 1 FETCH (FLAGS (\\Flagged $Work))"));
  EXPECT_LT(w.find("$Work \\*)]", flags_at), w.find("* 1 FETCH (FLAGS (\\Flagged $Work))")) << w;
  EXPECT_NE(w.find("\r\nb OK Store completed.\r\n"), std::string::npos);
  EXPECT_EQ(w.find("* 2 FETCH (FLAGS (\\Seen))"), std::string::npos);  // .SILENT
  EXPECT_NE(w.find("* 2 FETCH (UID 2 FLAGS ())\r\nc OK"), std::string::npos);
  EXPECT_NE(w.find("* 1 FETCH (FLAGS (\\Answered Later))\r\nd OK"), std::string::npos) << w;
  EXPECT_TRUE(tagged(w, "e").starts_with("e BAD"));
  EXPECT_TRUE(tagged(w, "f").starts_with("f BAD"));
  EXPECT_NE(w.find("* 1 FETCH (FLAGS (\\Answered Later))\r\n* 2 FETCH (FLAGS ())\r\ng OK"), std::string::npos);
  EXPECT_TRUE(tagged(w, "h").starts_with("h BAD"));
  auto box = h.store_of().open("INBOX");
  EXPECT_EQ((*box)->messages()[0].flags, store::kFlagAnswered);
  EXPECT_EQ((*box)->messages()[0].keywords, std::vector<std::string>{"Later"});
}

TEST(ImapSelected, Search) {
  MessageBox h;
  auto t = testing::run(
      h, script({kLogin, "s SELECT INBOX", "x STORE 2 +FLAGS (\\Seen)", "a SEARCH UNSEEN", "b SEARCH FROM ann",
                 "c SEARCH SUBJECT \"OTHER\"", "d SEARCH BODY yyyy", "e SEARCH LARGER 150", "f SEARCH NOT SEEN",
                 "g SEARCH OR FROM bob SUBJECT hello", "h UID SEARCH UID 2:*", "i SEARCH HEADER To alice",
                 "j SEARCH (SEEN FROM bob) 1:2", "k SEARCH SENTON 1-Jul-2003", "m SEARCH SENTBEFORE 1-Jan-2000",
                 "n SEARCH RETURN (MIN COUNT) ALL", "o SEARCH TEXT \"second\"", "p SEARCH CHARSET KOI8-R ALL",
                 "q SEARCH BOGUS", "r SEARCH SINCE 1-Jan-2020", "t SEARCH KEYWORD $x", "u UID SEARCH RETURN () ALL",
                 "v SEARCH " + std::string(10000, '(') + "ALL" + std::string(10000, ')'), "w SEARCH NOT NOT NOT SEEN"}));
  const std::string& w = t.written;
  EXPECT_NE(w.find("* SEARCH 1\r\na OK"), std::string::npos) << w;
  EXPECT_NE(w.find("* SEARCH 1\r\nb OK"), std::string::npos);
  EXPECT_NE(w.find("* SEARCH 2\r\nc OK"), std::string::npos);
  EXPECT_NE(w.find("* SEARCH 2\r\nd OK"), std::string::npos);
  EXPECT_NE(w.find("* SEARCH 2\r\ne OK"), std::string::npos);
  EXPECT_NE(w.find("* SEARCH 1\r\nf OK"), std::string::npos);
  EXPECT_NE(w.find("* SEARCH 1 2\r\ng OK"), std::string::npos);
  EXPECT_NE(w.find("* SEARCH 2\r\nh OK"), std::string::npos);
  EXPECT_NE(w.find("* SEARCH 1\r\ni OK"), std::string::npos);
  EXPECT_NE(w.find("* SEARCH 2\r\nj OK"), std::string::npos);
  EXPECT_NE(w.find("* SEARCH 1\r\nk OK"), std::string::npos);
  EXPECT_NE(w.find("* SEARCH\r\nm OK"), std::string::npos);
  EXPECT_NE(w.find("* ESEARCH (TAG \"n\") MIN 1 COUNT 2\r\nn OK"), std::string::npos) << w;
  EXPECT_NE(w.find("* SEARCH 1\r\no OK"), std::string::npos);
  EXPECT_TRUE(tagged(w, "p").starts_with("p NO [BADCHARSET (US-ASCII UTF-8)]")) << w;
  EXPECT_TRUE(tagged(w, "q").starts_with("q BAD"));
  EXPECT_NE(w.find("* SEARCH 1 2\r\nr OK"), std::string::npos);
  EXPECT_NE(w.find("* SEARCH\r\nt OK"), std::string::npos);
  EXPECT_NE(w.find("* ESEARCH (TAG \"u\") UID ALL 1:2\r\nu OK"), std::string::npos) << w;
  EXPECT_TRUE(tagged(w, "v").starts_with("v BAD")) << w;  // nesting bounded by the reader
  EXPECT_NE(w.find("* SEARCH 1\r\nw OK"), std::string::npos);
}

TEST(ImapSelected, ExpungeCloseUnselect) {
  MessageBox h;
  h.deliver("Subject: three\n\nx\n");
  auto t = testing::run(h, script({kLogin, "s SELECT INBOX", "a STORE 1:3 +FLAGS.SILENT (\\Deleted)",
                                   "b UID EXPUNGE 2", "c FETCH 1:* UID", "d UNSELECT", "e SELECT INBOX",
                                   "f EXPUNGE", "g STATUS INBOX (MESSAGES)", "h SELECT INBOX",
                                   "i APPEND INBOX (\\Deleted) {1+}", "x", "j CLOSE", "k STATUS INBOX (MESSAGES)"}));
  const std::string& w = t.written;
  EXPECT_NE(w.find("* 2 EXPUNGE\r\nb OK Expunge completed.\r\n"), std::string::npos) << w;
  EXPECT_NE(w.find("* 1 FETCH (UID 1)\r\n* 2 FETCH (UID 3)\r\nc OK"), std::string::npos);
  EXPECT_EQ(tagged(w, "d"), "d OK Unselect completed.");
  EXPECT_NE(w.find("* 1 EXPUNGE\r\n* 1 EXPUNGE\r\nf OK Expunge completed.\r\n"), std::string::npos);
  EXPECT_NE(w.find("* STATUS INBOX (MESSAGES 0)\r\n"), std::string::npos);
  EXPECT_NE(w.find("* 1 EXISTS\r\ni OK [APPENDUID"), std::string::npos) << w;
  EXPECT_EQ(tagged(w, "j"), "j OK Close completed.");
  EXPECT_NE(w.find("* STATUS INBOX (MESSAGES 0)\r\nk OK"), std::string::npos);
}

TEST(ImapSelected, ReadOnlyRefusesChanges) {
  MessageBox h;
  auto t = testing::run(h, script({kLogin, "s EXAMINE INBOX", "a STORE 1 +FLAGS (\\Deleted)", "b EXPUNGE",
                                   "c FETCH 1 BODY[TEXT]", "d FETCH 1 FLAGS", "e MOVE 1 INBOX", "f CLOSE"}));
  const std::string& w = t.written;
  EXPECT_EQ(tagged(w, "a"), "a NO [READ-ONLY] Mailbox is read-only.");
  EXPECT_EQ(tagged(w, "b"), "b NO [READ-ONLY] Mailbox is read-only.");
  EXPECT_NE(w.find("* 1 FETCH (FLAGS ())\r\nd OK"), std::string::npos) << w;
  EXPECT_EQ(tagged(w, "e"), "e NO [READ-ONLY] Mailbox is read-only.");
  EXPECT_EQ((*h.store_of().open("INBOX"))->messages().size(), 2u);
}

TEST(ImapSelected, CopyAndMove) {
  MessageBox h;
  auto t = testing::run(h, script({kLogin, "a CREATE Keep", "s SELECT INBOX", "b COPY 1:2 Keep", "c COPY 1 Nothing",
                                   "d UID MOVE 1 Keep", "e FETCH 1:* UID", "f COPY 1 \"../x\"", "g MOVE 1 INBOX"}));
  const std::string& w = t.written;
  std::string v = validity(h, "Keep");
  EXPECT_EQ(tagged(w, "b"), "b OK [COPYUID " + v + " 1:2 1:2] Copy completed.");
  EXPECT_EQ(tagged(w, "c"), "c NO [TRYCREATE] Mailbox does not exist.");
  EXPECT_NE(w.find("* OK [COPYUID " + v + " 1 3] Moved.\r\n* 1 EXPUNGE\r\nd OK Move completed.\r\n"),
            std::string::npos)
      << w;
  EXPECT_NE(w.find("* 1 FETCH (UID 2)\r\ne OK"), std::string::npos);
  EXPECT_EQ(tagged(w, "f"), "f NO [CANNOT] Invalid mailbox name.");
  // MOVE into the selected mailbox itself: a new UID appears, the old one goes.
  EXPECT_NE(w.find("* 1 EXPUNGE\r\n* 1 EXISTS\r\ng OK Move completed.\r\n"), std::string::npos) << w;
  EXPECT_EQ((*h.store_of().open("Keep"))->messages().size(), 3u);
  EXPECT_EQ((*h.store_of().open("INBOX"))->messages().size(), 1u);
}

// Session A waits; session B expunges a message and delivers one; A's NOOP
// learns both, in order, with the right sequence numbers.
TEST(ImapSelected, AnotherSessionsChangesAtNoop) {
  MessageBox h;
  std::deque<io::Segment> a{"", kLogin + "\r\n", "", "s SELECT INBOX\r\n",
                            io::Segment::after(std::chrono::seconds(10)), "b NOOP\r\n", "", "z LOGOUT\r\n"};
  std::deque<io::Segment> b{io::Segment::after(std::chrono::seconds(1)), kLogin + "\r\n", "", "s SELECT INBOX\r\n", "",
                            "a STORE 1 +FLAGS.SILENT (\\Deleted)\r\n", "", "b EXPUNGE\r\n", "",
                            "c STORE 1 +FLAGS (\\Flagged $Shared)\r\n", "", "d APPEND INBOX {3+}\r\nnew\r\n", "",
                            "z LOGOUT\r\n"};
  auto ts = testing::run_all(h, {testing::Client{a}, testing::Client{b}});
  EXPECT_NE(ts[1].written.find("d OK [APPENDUID"), std::string::npos) << ts[1].written;
  // The keyword the other session made is announced first (imaptest counts
  // its absence as an error: "Keyword used without being in FLAGS").
  const std::string& w = ts[0].written;
  size_t noop = w.find("b OK NOOP");
  size_t flags_at = w.find("* FLAGS (", w.find("s OK"));
  ASSERT_NE(flags_at, std::string::npos) << w;
  EXPECT_LT(flags_at, noop);
  EXPECT_NE(w.substr(flags_at, w.find("\r\n", flags_at) - flags_at).find("$Shared"), std::string::npos) << w;
  EXPECT_NE(w.find("* 1 EXPUNGE\r\n* 2 EXISTS\r\n* 1 FETCH (UID 2 FLAGS (\\Flagged $Shared))\r\nb OK NOOP completed.\r\n"),
            std::string::npos)
      << w;
  EXPECT_LT(flags_at, w.find("* 1 EXPUNGE"));
}

// Another session expunges messages this one still lists: a STORE on one
// succeeds and skips it (RFC 2180 4.2.1, as Dovecot), the EXPUNGE following
// before the OK; a COPY naming one copies nothing (the copy it had made of
// the other is taken back) and says EXPUNGEISSUED (RFC 5530).
TEST(ImapSelected, StoreAndCopyOfMessagesExpungedMeanwhile) {
  MessageBox h;
  h.deliver("Subject: three\n\nx\n");
  ASSERT_TRUE(h.store_of().create("Keep"));
  std::deque<io::Segment> a{"", kLogin + "\r\n", "", "s SELECT INBOX\r\n", io::Segment::after(std::chrono::seconds(10)),
                            "b UID STORE 1 +FLAGS (\\Flagged)\r\n", "", io::Segment::after(std::chrono::seconds(10)),
                            "c COPY 1:2 Keep\r\n", "", "z LOGOUT\r\n"};
  std::deque<io::Segment> b{io::Segment::after(std::chrono::seconds(1)), kLogin + "\r\n", "", "s SELECT INBOX\r\n", "",
                            "a STORE 1 +FLAGS.SILENT (\\Deleted)\r\n", "", "b EXPUNGE\r\n",
                            io::Segment::after(std::chrono::seconds(13)), "c STORE 2 +FLAGS.SILENT (\\Deleted)\r\n", "",
                            "d EXPUNGE\r\n", "", "z LOGOUT\r\n"};
  auto ts = testing::run_all(h, {testing::Client{a}, testing::Client{b}});
  ASSERT_NE(ts[1].written.find("d OK"), std::string::npos) << ts[1].written;
  const std::string& w = ts[0].written;
  EXPECT_NE(w.find("* 1 EXPUNGE\r\nb OK Store completed.\r\n"), std::string::npos) << w;
  EXPECT_EQ(w.find("FLAGS (\\Flagged"), std::string::npos) << w;  // nothing was stored
  EXPECT_EQ(tagged(w, "c"), "c NO [EXPUNGEISSUED] Some of the requested messages no longer exist.") << w;
  auto keep = h.store_of().open("Keep");
  ASSERT_TRUE(keep);
  EXPECT_TRUE((*keep)->messages().empty());
  EXPECT_EQ((*keep)->uidnext(), 2u);  // the copy was made and taken back; its UID is not reused
}

TEST(ImapSelected, IdleReportsNewMail) {
  MessageBox h;
  std::deque<io::Segment> a{"", kLogin + "\r\n", "", "s SELECT INBOX\r\n", "", "i IDLE\r\n",
                            io::Segment::after(std::chrono::seconds(100)), "DONE\r\n", "", "j IDLE\r\n", "",
                            "bogus\r\n", "", "z LOGOUT\r\n"};
  std::deque<io::Segment> b{"", kLogin + "\r\n", "", io::Segment::after(std::chrono::seconds(40)),
                            "d APPEND INBOX {3+}\r\nnew\r\n", "", "z LOGOUT\r\n"};
  auto ts = testing::run_all(h, {testing::Client{a}, testing::Client{b}});
  const std::string& w = ts[0].written;
  EXPECT_NE(w.find("+ idling\r\n* 3 EXISTS\r\ni OK Idle completed.\r\n"), std::string::npos) << w;
  EXPECT_EQ(tagged(w, "j"), "j BAD Expected DONE.");
  EXPECT_FALSE(h.hung);
}

TEST(ImapSelected, IdleTimesOut) {
  MessageBox h;
  auto start = h.fake_clock.now();
  auto t = testing::run(h, {"", kLogin + "\r\n", "", "i IDLE\r\n", io::Segment::stall()});
  EXPECT_TRUE(t.written.ends_with("+ idling\r\n* BYE Disconnected for inactivity.\r\n")) << t.written;
  EXPECT_EQ(t.closed_at - start, std::chrono::seconds(1800));
}

}  // namespace
}  // namespace tern::imap

namespace tern::imap {
namespace {

// SORT over the real MIME parser: base subjects, first addresses, display
// names, Date: with INTERNALDATE as the fallback, REVERSE, ties by sequence
// number, UID SORT, ESORT's RETURN, and a search narrowing what is sorted.
TEST(ImapSelected, SortByHeadersDatesAndSizes) {
  FakeHost h;
  h.deliver("From: Zed <a@x.test>\nTo: bob@y.test\nSubject: Re: [list] beta\n"
            "Date: Tue, 1 Jan 2030 10:00:00 +0000\n\nshort\n");
  h.deliver("From: adam <z@x.test>\nTo: =?UTF-8?Q?Ann?= <ann@y.test>\nCc: cat@y.test\nSubject: alpha\n"
            "Date: Mon, 31 Dec 2029 23:00:00 -0200\n\na longer body line here\n");
  h.deliver("From: m@x.test\nSubject: =?UTF-8?B?QWxwaGE=?= (fwd)\n\nno date, the longest body of the three\n");
  h.edit().structure = std::make_shared<MimeParser>();
  auto t = testing::run(h, script({kLogin, "s SELECT INBOX", "a SORT (SUBJECT) UTF-8 ALL", "b SORT (FROM) UTF-8 ALL",
                                   "c SORT (DISPLAYFROM) UTF-8 ALL", "d SORT (REVERSE SIZE) UTF-8 ALL",
                                   "e SORT (DATE) UTF-8 ALL", "f UID SORT (TO CC) UTF-8 ALL",
                                   "g SORT RETURN (MIN MAX COUNT ALL) (REVERSE SUBJECT) UTF-8 ALL",
                                   "h SORT (SUBJECT) UTF-8 NOT FROM m@x.test", "i SORT (BOGUS) UTF-8 ALL",
                                   "j SORT (DATE) KOI8-R ALL", "k SORT (DISPLAYTO) UTF-8 ALL"}));
  const std::string& w = t.written;
  // "alpha" and "Alpha (fwd)" share a base subject: the sequence number decides.
  EXPECT_NE(w.find("* SORT 2 3 1\r\na OK Sort completed."), std::string::npos) << w;
  EXPECT_NE(w.find("* SORT 1 3 2\r\nb OK"), std::string::npos) << w;      // a, m, z
  EXPECT_NE(w.find("* SORT 2 3 1\r\nc OK"), std::string::npos) << w;      // adam, m@x.test, Zed
  EXPECT_NE(w.find("* SORT 2 1 3\r\nd OK"), std::string::npos) << w;      // 2 has the longest header
  // 2: 2030-01-01 01:00 UTC; 1: 2030-01-01 10:00 UTC; 3 has no Date: its delivery time (now, earlier).
  EXPECT_NE(w.find("* SORT 3 2 1\r\ne OK"), std::string::npos) << w;
  EXPECT_NE(w.find("* SORT 3 2 1\r\nf OK"), std::string::npos) << w;      // "", ann, bob
  EXPECT_NE(w.find("* ESEARCH (TAG \"g\") MIN 1 MAX 3 COUNT 3 ALL 1:3\r\ng OK"), std::string::npos) << w;
  EXPECT_NE(w.find("* SORT 2 1\r\nh OK"), std::string::npos) << w;
  EXPECT_TRUE(tagged(w, "i").starts_with("i BAD")) << w;
  EXPECT_TRUE(tagged(w, "j").starts_with("j NO [BADCHARSET")) << w;
  EXPECT_NE(w.find("* SORT 3 2 1\r\nk OK"), std::string::npos) << w;      // "", Ann, bob@y.test
}

// THREAD over the real parser: References and In-Reply-To link replies,
// a reply without either joins by subject, ORDEREDSUBJECT groups by base
// subject; UID THREAD names UIDs; an unknown algorithm is BAD.
TEST(ImapSelected, ThreadByReferencesAndSubject) {
  FakeHost h;
  h.deliver("Message-ID: <root@x>\nSubject: plan\nDate: Mon, 1 Jan 2029 10:00:00 +0000\n\n1\n");
  h.deliver("Message-ID: <other@x>\nSubject: lunch\nDate: Mon, 1 Jan 2029 09:00:00 +0000\n\n2\n");
  h.deliver("Message-ID: <r1@x>\nIn-Reply-To: <root@x>\nSubject: Re: plan\n"
            "Date: Mon, 1 Jan 2029 11:00:00 +0000\n\n3\n");
  h.deliver("Message-ID: <r2@x>\nReferences: <root@x> <r1@x>\nSubject: Re: plan\n"
            "Date: Mon, 1 Jan 2029 12:00:00 +0000\n\n4\n");
  h.deliver("Message-ID: <r3@x>\nSubject: Re: lunch\nDate: Mon, 1 Jan 2029 13:00:00 +0000\n\n5\n");
  h.edit().structure = std::make_shared<MimeParser>();
  auto t = testing::run(h, script({kLogin, "s SELECT INBOX", "a THREAD REFERENCES UTF-8 ALL",
                                   "b THREAD ORDEREDSUBJECT UTF-8 ALL", "c UID THREAD REFERENCES UTF-8 5:*",
                                   "d THREAD BOGUS UTF-8 ALL", "e THREAD REFERENCES KOI8-R ALL"}));
  const std::string& w = t.written;
  EXPECT_NE(w.find("* THREAD (2 5)(1 3 4)\r\na OK Thread completed."), std::string::npos) << w;
  EXPECT_NE(w.find("* THREAD (2 5)(1 (3)(4))\r\nb OK"), std::string::npos) << w;
  EXPECT_NE(w.find("* THREAD (5)\r\nc OK"), std::string::npos) << w;
  EXPECT_TRUE(tagged(w, "d").starts_with("d BAD")) << w;
  EXPECT_TRUE(tagged(w, "e").starts_with("e NO [BADCHARSET")) << w;
}

}  // namespace
}  // namespace tern::imap
