// IMAP session tests of RFC 5267 contexts (CONTEXT=SEARCH, CONTEXT=SORT):
// RETURN (UPDATE) searches kept live, their ADDTO/REMOVEFROM after this
// session's STORE, APPEND and EXPUNGE and after another session's, in the
// order 4.3.3/4.3.4 ask (REMOVEFROM before EXPUNGE, ADDTO after EXISTS);
// two contexts at once, by UID and by sequence number; tag reuse (BAD),
// the context limit (NO [NOUPDATE]); CANCELUPDATE of known, unknown and
// unquoted tags; contexts dropped at UNSELECT; PARTIAL in range, beyond it
// and malformed.
#include <gtest/gtest.h>

#include "imap/server/session_harness.h"

namespace tern::imap {
namespace {

using testing::FakeHost;
using testing::has;
using testing::tagged;
using testing::kLogin;

struct Three : FakeHost {
  Three() {
    deliver("Subject: one\n\n1\n");
    deliver("Subject: two\n\n2\n");
    deliver("Subject: three\n\n3\n");
  }
};


// The text between the end of tag `from`'s tagged line and tag `to`'s.
std::string between(const std::string& w, const std::string& from, const std::string& to) {
  size_t a = w.find("\r\n" + from + " ");
  size_t b = w.find("\r\n" + to + " ");
  if (a == std::string::npos || b == std::string::npos || b < a) return "";
  a = w.find("\r\n", a + 2);
  return w.substr(a + 2, b - a);
}

TEST(ImapContext, SearchUpdatesAfterStoreAppendExpunge) {
  Three h;
  auto t = testing::run(
      h, testing::script({kLogin, "s SELECT INBOX", "a UID SEARCH RETURN (UPDATE) UNSEEN",
                 "b UID SEARCH RETURN (UPDATE COUNT CONTEXT) FLAGGED", "c UID STORE 2 +FLAGS (\\Seen \\Flagged)",
                 "d APPEND INBOX {18+}\r\nSubject: four\r\n\r\n4", "e SEARCH RETURN (UPDATE ALL) UNSEEN",
                 "f UID SEARCH RETURN (UPDATE) ALL", "g STORE 1 +FLAGS.SILENT (\\Deleted)", "h EXPUNGE",
                 "i CANCELUPDATE \"a\"", "j CANCELUPDATE \"nope\"", "k CANCELUPDATE a", "k2 CANCELUPDATE",
                 "m STORE 2 +FLAGS.SILENT (\\Seen)", "n NOOP"}));
  const std::string& w = t.written;
  EXPECT_TRUE(has(w, "* ESEARCH (TAG \"a\") UID\r\na OK")) << w;  // UPDATE alone returns no ALL
  EXPECT_TRUE(has(w, "* ESEARCH (TAG \"b\") UID COUNT 0\r\nb OK")) << w;
  std::string c = between(w, "b", "c");
  EXPECT_TRUE(has(c, "* ESEARCH (TAG \"a\") UID REMOVEFROM (0 2)\r\n")) << w;
  EXPECT_TRUE(has(c, "* ESEARCH (TAG \"b\") UID ADDTO (0 2)\r\n")) << w;
  // The new message: EXISTS first, then ADDTO (only to the UNSEEN one).
  std::string d = between(w, "c", "d");
  EXPECT_TRUE(has(d, "* 4 EXISTS\r\n* ESEARCH (TAG \"a\") UID ADDTO (0 4)\r\n")) << w;
  EXPECT_FALSE(has(d, "TAG \"b\"")) << w;
  EXPECT_TRUE(has(w, "* ESEARCH (TAG \"e\") ALL 1,3:4\r\ne OK")) << w;
  EXPECT_TRUE(tagged(w, "f").starts_with("f OK")) << w;
  // EXPUNGE of message 1 (UID 1): REMOVEFROM before the EXPUNGE, by UID and by sequence number.
  std::string hx = between(w, "g", "h");
  size_t rm_a = hx.find("* ESEARCH (TAG \"a\") UID REMOVEFROM (0 1)\r\n");
  size_t rm_e = hx.find("* ESEARCH (TAG \"e\") REMOVEFROM (0 1)\r\n");
  size_t rm_f = hx.find("* ESEARCH (TAG \"f\") UID REMOVEFROM (0 1)\r\n");
  size_t ex = hx.find("* 1 EXPUNGE\r\n");
  ASSERT_NE(ex, std::string::npos) << w;
  EXPECT_LT(rm_a, ex) << w;
  EXPECT_LT(rm_e, ex) << w;
  EXPECT_LT(rm_f, ex) << w;
  EXPECT_FALSE(has(hx, "TAG \"b\"")) << w;  // UID 1 was never flagged
  EXPECT_TRUE(tagged(w, "i").starts_with("i OK")) << w;
  EXPECT_TRUE(tagged(w, "j").starts_with("j NO")) << w;
  EXPECT_TRUE(tagged(w, "k").starts_with("k BAD")) << w;
  EXPECT_TRUE(tagged(w, "k2").starts_with("k2 BAD")) << w;
  // "a" is cancelled: message 2 (UID 3) seen tells "e" only (by sequence number).
  std::string m = between(w, "k2", "m");
  EXPECT_TRUE(has(m, "* ESEARCH (TAG \"e\") REMOVEFROM (0 2)\r\n")) << w;
  EXPECT_FALSE(has(m, "TAG \"a\"")) << w;
  EXPECT_EQ(between(w, "m", "n"), "") << w;  // nothing changed: no update
}

TEST(ImapContext, TagReuseLimitAndUnselect) {
  Three h;
  std::vector<std::string> lines{kLogin, "s SELECT INBOX"};
  for (int i = 1; i <= 11; ++i) lines.push_back("t" + std::to_string(i) + " UID SEARCH RETURN (UPDATE COUNT) UNSEEN");
  lines.push_back("t1 UID SEARCH RETURN (UPDATE) ALL");  // a live context's tag
  lines.push_back("t2 UID SEARCH RETURN (COUNT) ALL");   // reuse without UPDATE is fine
  lines.push_back("u UNSELECT");
  lines.push_back("v SELECT INBOX");
  lines.push_back("w STORE 1 +FLAGS (\\Seen)");
  lines.push_back("x UID SEARCH RETURN (UPDATE) UNSEEN");  // room again after UNSELECT
  std::deque<io::Segment> in{""};
  for (const auto& l : lines) {
    in.push_back(l + "\r\n");
    in.push_back("");
  }
  in.push_back("z LOGOUT\r\n");
  auto t = testing::run(h, std::move(in));
  const std::string& w = t.written;
  EXPECT_TRUE(has(w, "* ESEARCH (TAG \"t10\") UID COUNT 3\r\nt10 OK")) << w;
  // The eleventh: its data, an untagged NO [NOUPDATE], and OK.
  EXPECT_TRUE(has(w, "* ESEARCH (TAG \"t11\") UID COUNT 3\r\n* NO [NOUPDATE \"t11\"]")) << w;
  EXPECT_TRUE(tagged(w, "t11").starts_with("t11 OK")) << w;
  EXPECT_TRUE(has(w, "t1 BAD")) << w;
  EXPECT_TRUE(has(w, "* ESEARCH (TAG \"t2\") UID COUNT 3\r\nt2 OK")) << w;
  EXPECT_FALSE(has(between(w, "v", "w"), "ESEARCH")) << w;  // no context lives on
  EXPECT_FALSE(has(w, "NOUPDATE \"x\"")) << w;
}

TEST(ImapContext, Partial) {
  Three h;
  auto t = testing::run(h, testing::script({kLogin, "s SELECT INBOX", "a UID SEARCH RETURN (PARTIAL 2:3) ALL",
                                   "b UID SEARCH RETURN (PARTIAL 10:20) ALL", "c SEARCH RETURN (PARTIAL 3:1 COUNT) ALL",
                                   "d SEARCH RETURN (PARTIAL 1:*) ALL", "e SEARCH RETURN (PARTIAL 1:2 ALL) ALL",
                                   "f SEARCH RETURN (PARTIAL 0:2) ALL", "g SORT RETURN (PARTIAL 1:2) (REVERSE SIZE) UTF-8 ALL",
                                   "h SEARCH RETURN (PARTIAL 3:9) ALL"}));
  const std::string& w = t.written;
  EXPECT_TRUE(has(w, "* ESEARCH (TAG \"a\") UID PARTIAL (2:3 2:3)\r\na OK")) << w;
  EXPECT_TRUE(has(w, "* ESEARCH (TAG \"b\") UID PARTIAL (10:20 NIL)\r\nb OK")) << w;
  EXPECT_TRUE(has(w, "* ESEARCH (TAG \"c\") COUNT 3 PARTIAL (1:3 1:3)\r\nc OK")) << w;
  EXPECT_TRUE(tagged(w, "d").starts_with("d BAD")) << w;
  EXPECT_TRUE(tagged(w, "e").starts_with("e BAD")) << w;
  EXPECT_TRUE(tagged(w, "f").starts_with("f BAD")) << w;
  // Sizes: "three" is the largest, "one" and "two" tie (sequence order).
  EXPECT_TRUE(has(w, "* ESEARCH (TAG \"g\") PARTIAL (1:2 3,1)\r\ng OK")) << w;
  EXPECT_TRUE(has(w, "* ESEARCH (TAG \"h\") PARTIAL (3:9 3)\r\nh OK")) << w;
}

// CONTEXT=SORT: positions in the sorted order; a new message that sorts
// first goes in at 1, an expunged one leaves from its place.
TEST(ImapContext, SortUpdatesWithPositions) {
  Three h;
  auto t = testing::run(h, testing::script({kLogin, "s SELECT INBOX", "a UID SORT RETURN (UPDATE ALL) (REVERSE ARRIVAL) UTF-8 ALL",
                                   "b SORT RETURN (UPDATE) (SIZE) UTF-8 UNDELETED",
                                   "c APPEND INBOX {18+}\r\nSubject: four\r\n\r\n4",
                                   "d UID STORE 2 +FLAGS (\\Deleted)", "e EXPUNGE"}));
  const std::string& w = t.written;
  // Same INTERNALDATE: ties in sequence order; the new message is the latest.
  EXPECT_TRUE(has(w, "* ESEARCH (TAG \"a\") UID ALL 1:3\r\na OK")) << w;
  std::string c = between(w, "b", "c");
  EXPECT_TRUE(has(c, "* 4 EXISTS\r\n")) << w;
  EXPECT_TRUE(has(c, "* ESEARCH (TAG \"a\") UID ADDTO (1 4)\r\n")) << w;
  // By size: four (18 bytes) before one and two (19), three (21).
  EXPECT_TRUE(has(c, "* ESEARCH (TAG \"b\") ADDTO (1 4)\r\n")) << w;
  // \Deleted takes UID 2 out of "b" (UNDELETED) at once, out of "a" when expunged.
  std::string d = between(w, "c", "d");
  EXPECT_TRUE(has(d, "* ESEARCH (TAG \"b\") REMOVEFROM (3 2)\r\n")) << w;
  EXPECT_FALSE(has(d, "TAG \"a\"")) << w;
  std::string e = between(w, "d", "e");
  size_t rm = e.find("* ESEARCH (TAG \"a\") UID REMOVEFROM (3 2)\r\n");
  size_t ex = e.find("* 2 EXPUNGE\r\n");
  ASSERT_NE(rm, std::string::npos) << w;
  ASSERT_NE(ex, std::string::npos) << w;
  EXPECT_LT(rm, ex) << w;
}

// Another session expunges and appends while a context is live: the next
// NOOP of the first says REMOVEFROM before EXPUNGE and ADDTO after EXISTS.
TEST(ImapContext, ChangesByAnotherSession) {
  Three h;
  std::deque<io::Segment> one{"", kLogin + "\r\n", "", "s SELECT INBOX\r\n", "",
                              "a UID SEARCH RETURN (UPDATE) ALL\r\n", "", "b SEARCH RETURN (UPDATE) UNSEEN\r\n",
                              io::Segment::after(std::chrono::seconds(10)), "c NOOP\r\n", "", "z LOGOUT\r\n"};
  std::deque<io::Segment> two{io::Segment::after(std::chrono::seconds(5)), kLogin + "\r\n", "", "s SELECT INBOX\r\n", "",
                              "c UID STORE 1 +FLAGS.SILENT (\\Deleted)\r\n", "", "d EXPUNGE\r\n", "",
                              "e APPEND INBOX {18+}\r\nSubject: four\r\n\r\n4\r\n", "", "z LOGOUT\r\n"};
  auto ts = testing::run_all(h, {testing::Client{std::move(one)}, testing::Client{std::move(two)}});
  const std::string& w = ts[0].written;
  ASSERT_TRUE(tagged(ts[1].written, "e").starts_with("e OK")) << ts[1].written;
  std::string c = between(w, "b", "c");
  size_t rm_a = c.find("* ESEARCH (TAG \"a\") UID REMOVEFROM (0 1)\r\n");
  size_t rm_b = c.find("* ESEARCH (TAG \"b\") REMOVEFROM (0 1)\r\n");
  size_t ex = c.find("* 1 EXPUNGE\r\n");
  size_t exists = c.find("* 3 EXISTS\r\n");
  size_t add_a = c.find("* ESEARCH (TAG \"a\") UID ADDTO (0 4)\r\n");
  size_t add_b = c.find("* ESEARCH (TAG \"b\") ADDTO (0 3)\r\n");
  ASSERT_NE(ex, std::string::npos) << w;
  ASSERT_NE(exists, std::string::npos) << w;
  ASSERT_NE(add_a, std::string::npos) << w;
  ASSERT_NE(add_b, std::string::npos) << w;
  EXPECT_LT(rm_a, ex) << w;
  EXPECT_LT(rm_b, ex) << w;
  EXPECT_LT(exists, add_a) << w;
  EXPECT_LT(exists, add_b) << w;
}

}  // namespace
}  // namespace tern::imap
