// IMAP session tests of CATENATE (RFC 4469): TEXT literals and URL parts
// (whole messages, HEADER, TEXT, numbered parts, PARTIAL) put together in
// order, the three URL forms, MULTIAPPEND with CATENATE, and the failures:
// NO [BADURL url] for what names nothing (another user, a stale
// UIDVALIDITY, no such message or part, URLAUTH), NO [TOOBIG] over
// message_size_limit, BAD for bad syntax; nothing stored after a failure
// and the session in step after each.
#include <gtest/gtest.h>

#include <filesystem>

#include "imap/server/mime_parser.h"
#include "imap/server/session_harness.h"

namespace tern::imap {
namespace {

using testing::FakeHost;
using testing::kLogin;
using testing::script;
using testing::tagged;

const std::string kMime =
    "From: a@x.example\nSubject: parts\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
    "--b\nContent-Type: text/plain\n\nfirst part\n--b\nContent-Type: text/html\n\n<p>second</p>\n--b--\n";

std::string lit(const std::string& s) { return "{" + std::to_string(s.size()) + "+}"; }

// Every message of a folder, as stored (LF line ends).
std::vector<std::string> stored(FakeHost& h, const std::string& folder) {
  std::vector<std::string> out;
  auto box = h.store_of().open(folder);
  if (!box) return out;
  for (const auto& m : (*box)->messages()) out.push_back(*(*box)->read(m.uid));
  return out;
}

TEST(ImapCatenate, TextAndUrlPartsInOrder) {
  FakeHost h;
  h.edit().structure = std::make_shared<MimeParser>();
  uint32_t uid = h.deliver(kMime, "INBOX");
  auto validity = std::to_string((*h.store_of().open("INBOX"))->uidvalidity());
  std::string u = std::to_string(uid);
  std::string t1 = "X-Intro: yes\r\n", t2 = "\r\n--inserted\r\n";
  auto t = testing::run(
      h, script({kLogin, "s CREATE Drafts",
                 "a APPEND Drafts (\\Seen) CATENATE (URL \"/INBOX;UIDVALIDITY=" + validity + "/;UID=" + u +
                     "/;SECTION=HEADER\" TEXT " + lit(t1),
                 t1 + " URL \"/inbox/;uid=" + u + "/;section=1\" TEXT " + lit(t2),
                 t2 + " URL \"imap://alice%40virt.test@IMAP.test.example/INBOX/;UID=" + u +
                     "/;SECTION=2.MIME\" URL \"/INBOX/;UID=" + u + "/;SECTION=TEXT/;PARTIAL=0.3\")",
                 "b SELECT INBOX", "c APPEND Drafts CATENATE (URL \";UID=" + u + "/;SECTION=1\" URL \";UID=" + u + "\")",
                 "d NOOP"}));
  const std::string& w = t.written;
  EXPECT_TRUE(tagged(w, "a").starts_with("a OK [APPENDUID ")) << w;
  EXPECT_TRUE(tagged(w, "c").starts_with("c OK [APPENDUID ")) << w;
  EXPECT_EQ(tagged(w, "d"), "d OK NOOP completed.");
  EXPECT_EQ(w.find("+ Ready"), std::string::npos);  // LITERAL+: no continuation
  auto got = stored(h, "Drafts");
  ASSERT_EQ(got.size(), 2u);
  std::string header = kMime.substr(0, kMime.find("\n\n") + 2);
  EXPECT_EQ(got[0], header + "X-Intro: yes\n" + "first part" + "\n--inserted\n" + "Content-Type: text/html\n\n" + "--b");
  EXPECT_EQ(got[1], "first part" + kMime);
  auto box = h.store_of().open("Drafts");
  EXPECT_EQ((*box)->messages()[0].flags, store::kFlagSeen);
}

TEST(ImapCatenate, BadUrlsAndTooBigStoreNothing) {
  FakeHost h;  // message_size_limit 100000; no MIME parser
  uint32_t uid = h.deliver("Subject: one\n\nbody\n", "INBOX");
  h.deliver("Subject: bob's\n\nsecret\n", "INBOX", "bob@virt.test");
  std::string u = std::to_string(uid);
  std::string big(60000, 'x');
  auto t = testing::run(
      h, script({kLogin, "s CREATE Drafts",
                 "a APPEND Drafts CATENATE (URL \"/INBOX/;UID=99\")",
                 "b APPEND Drafts CATENATE (URL \"/INBOX;UIDVALIDITY=1/;UID=" + u + "\")",
                 "c APPEND Drafts CATENATE (URL \"imap://bob%40virt.test@imap.test.example/INBOX/;UID=1\")",
                 "d APPEND Drafts CATENATE (URL \"imap://other.example/INBOX/;UID=" + u + "\")",
                 "e APPEND Drafts CATENATE (URL \"/../bob@virt.test/;UID=1\")",
                 "f APPEND Drafts CATENATE (URL \";UID=" + u + "\")",  // nothing selected
                 "g APPEND Drafts CATENATE (URL \"/INBOX/;UID=" + u + "/;URLAUTH=anonymous:internal:0a]\")",
                 "h APPEND Drafts CATENATE (URL \"/INBOX/;UID=" + u + "/;SECTION=1\")",  // no MIME parser
                 "i APPEND Drafts CATENATE (TEXT " + lit(big), big + " URL \"/INBOX/;UID=" + u + "\" TEXT {60000}",
                 "j APPEND Drafts CATENATE (TEXT " + lit(big), big + ")", "k APPEND Drafts CATENATE (TEXT " + lit(big),
                 big + " TEXT " + lit(big), big + ")",
                 "m APPEND Drafts (\\Seen) CATENATE (URL \"/INBOX/;UID=" + u + "\") CATENATE (URL \"/INBOX/;UID=98\")",
                 "n APPEND Drafts CATENATE ()", "o APPEND Drafts CATENATE (TEXT \"x\")",
                 "p APPEND Drafts CATENATE (URL)", "q APPEND Nosuch CATENATE (URL \"/INBOX/;UID=" + u + "\")",
                 "r NOOP"}));
  const std::string& w = t.written;
  EXPECT_EQ(tagged(w, "a"), "a NO [BADURL /INBOX/;UID=99] No such message.") << w;
  EXPECT_EQ(tagged(w, "b"), "b NO [BADURL /INBOX;UIDVALIDITY=1/;UID=" + u + "] The UIDVALIDITY has changed.");
  EXPECT_TRUE(tagged(w, "c").starts_with("c NO [BADURL imap://bob%40virt.test@")) << w;
  EXPECT_TRUE(tagged(w, "d").starts_with("d NO [BADURL imap://other.example/")) << w;
  EXPECT_EQ(tagged(w, "e"), "e NO [BADURL /../bob@virt.test/;UID=1] No such mailbox.");
  EXPECT_EQ(tagged(w, "f"), "f NO [BADURL ;UID=" + u + "] No mailbox is selected.");
  EXPECT_EQ(tagged(w, "g"), "g NO [BADURL /INBOX/;UID=" + u + "/;URLAUTH=anonymous:internal:0a%5D] URLAUTH is not supported.");
  EXPECT_TRUE(tagged(w, "h").starts_with("h NO [BADURL ")) << w;
  // The whole message over the limit: refused before the "+" of the last part.
  EXPECT_EQ(tagged(w, "i"), "i NO [TOOBIG] Message too big.");
  EXPECT_EQ(tagged(w, "j"), "j OK [APPENDUID " + std::to_string((*h.store_of().open("Drafts"))->uidvalidity()) +
                                " 1] Append completed.") << w;
  EXPECT_EQ(tagged(w, "k"), "k NO [TOOBIG] Message too big.");
  EXPECT_EQ(tagged(w, "m"), "m NO [BADURL /INBOX/;UID=98] No such message.");  // all or none
  for (const char* tag : {"n", "o", "p"}) EXPECT_TRUE(tagged(w, tag).starts_with(std::string(tag) + " BAD")) << tag;
  EXPECT_EQ(tagged(w, "q"), "q NO [TRYCREATE] Mailbox does not exist.");
  EXPECT_EQ(tagged(w, "r"), "r OK NOOP completed.");
  EXPECT_EQ(stored(h, "Drafts").size(), 1u);  // j's
  EXPECT_EQ(store::test_util::drafts_in(h.accounts->maildir("alice@virt.test") + "/.Drafts/tmp"), std::vector<std::string>{});
}

// MULTIAPPEND with CATENATE: a plain literal, a catenated message and a
// UTF8 part, one APPENDUID range.
TEST(ImapCatenate, MultiappendMixesForms) {
  FakeHost h;
  uint32_t uid = h.deliver("Subject: quoted\n\noriginal text\n", "INBOX");
  std::string u = std::to_string(uid);
  std::string m1 = "Subject: plain\r\n\r\none\r\n", intro = "Subject: fwd\r\n\r\n", utf = "Gr\xc3\xbc\xc3\x9f" "e\r\n";
  auto t = testing::run(
      h, script({kLogin, "a APPEND INBOX " + lit(m1),
                 m1 + " (\\Flagged) CATENATE (TEXT " + lit(intro),
                 intro + " URL \"/INBOX/;UID=" + u + "/;SECTION=TEXT\" UTF8 (~" + lit(utf), utf + ")) {5}",
                 "last\n", "b NOOP"}));
  const std::string& w = t.written;
  EXPECT_TRUE(tagged(w, "a").starts_with("a OK [APPENDUID ")) << w;
  EXPECT_NE(tagged(w, "a").find(" 2:4]"), std::string::npos) << w;
  auto got = stored(h, "INBOX");
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[1], "Subject: plain\n\none\n");
  EXPECT_EQ(got[2], "Subject: fwd\n\noriginal text\nGr\xc3\xbc\xc3\x9f" "e\n");
  EXPECT_EQ(got[3], "last\n");
  EXPECT_EQ(tagged(w, "b"), "b OK NOOP completed.");
}

}  // namespace
}  // namespace tern::imap
