// IMAP session tests of CONDSTORE and QRESYNC (RFC 7162) over a real
// Maildir: MODSEQ in FETCH, STORE UNCHANGEDSINCE and MODIFIED, SEARCH
// MODSEQ, STATUS HIGHESTMODSEQ, and a client coming back with QRESYNC after
// another program changed and expunged messages.
#include <gtest/gtest.h>

#include <regex>

#include "imap/server/session_harness.h"

namespace tern::imap {
namespace {

using testing::FakeHost;
using testing::kLogin;
using testing::script;
using testing::tagged;

struct CondstoreBox : FakeHost {
  CondstoreBox() {
    deliver("Subject: one\n\n1\n");
    deliver("Subject: two\n\n2\n");
  }
};

// The number after `prefix` in text (the first match), or 0.
uint64_t number_after(const std::string& text, const std::string& prefix) {
  size_t at = text.find(prefix);
  if (at == std::string::npos) return 0;
  return std::stoull(text.substr(at + prefix.size()));
}

TEST(ImapCondstore, ModseqsInFetchStoreAndSearch) {
  CondstoreBox h;
  auto t = testing::run(h, script({kLogin, "a SELECT INBOX (CONDSTORE)", "b FETCH 1:* (MODSEQ)",
                                   "c STORE 1 +FLAGS.SILENT (\\Seen)", "d STORE 2 (UNCHANGEDSINCE 1) +FLAGS (\\Flagged)",
                                   "e SEARCH MODSEQ 1", "f UID SEARCH RETURN (ALL) MODSEQ 1", "g SEARCH UNSEEN",
                                   "h UID STORE 1 (UNCHANGEDSINCE 0) -FLAGS (\\Seen)", "i STATUS INBOX (HIGHESTMODSEQ)",
                                   "j STORE 1 +FLAGS.SILENT (\\Seen)", "k FETCH 1:* (FLAGS) (CHANGEDSINCE 1)"}));
  const std::string& w = t.written;
  const uint64_t highest = number_after(w, "* OK [HIGHESTMODSEQ ");
  ASSERT_GT(highest, 0u) << w;
  EXPECT_NE(w.find("* 1 FETCH (MODSEQ (" + std::to_string(highest) + "))\r\n"), std::string::npos) << w;
  // .SILENT with CONDSTORE: the FETCH still comes, with MODSEQ alone.
  const uint64_t after_c = number_after(w, "* 1 FETCH (MODSEQ (" + std::to_string(highest) + "))\r\n* 2 FETCH (MODSEQ (" +
                                                std::to_string(highest) + "))\r\nb OK Fetch completed.\r\n* 1 FETCH (MODSEQ (");
  EXPECT_GT(after_c, highest) << w;
  EXPECT_EQ(tagged(w, "d"), "d OK [MODIFIED 2] Conditional STORE failed.");
  EXPECT_EQ(w.find("* 2 FETCH (FLAGS (\\Flagged"), std::string::npos);  // not stored
  EXPECT_NE(w.find("* SEARCH 1 2 (MODSEQ " + std::to_string(after_c) + ")\r\ne OK"), std::string::npos) << w;
  EXPECT_NE(w.find("* ESEARCH (TAG \"f\") UID ALL 1:2 MODSEQ " + std::to_string(after_c) + "\r\n"), std::string::npos) << w;
  EXPECT_NE(w.find("* SEARCH 2\r\ng OK"), std::string::npos) << w;  // no MODSEQ key: no MODSEQ
  EXPECT_EQ(tagged(w, "h"), "h OK [MODIFIED 1] Conditional STORE failed.");
  EXPECT_NE(w.find("* STATUS INBOX (HIGHESTMODSEQ " + std::to_string(after_c) + ")"), std::string::npos) << w;
  // Nothing changed: no FETCH for j.
  EXPECT_NE(w.find("i OK Status completed.\r\nj OK"), std::string::npos) << w;
  EXPECT_NE(w.find("* 1 FETCH (FLAGS (\\Seen) MODSEQ (" + std::to_string(after_c) + "))\r\n"
                   "* 2 FETCH (FLAGS () MODSEQ (" + std::to_string(highest) + "))\r\nk OK"),
            std::string::npos)
      << w;
}

TEST(ImapCondstore, QresyncAfterOthersChangedTheMailbox) {
  CondstoreBox h;
  auto first = testing::run(h, script({kLogin, "a ENABLE QRESYNC", "b SELECT INBOX"}));
  EXPECT_NE(first.written.find("* ENABLED QRESYNC\r\n"), std::string::npos) << first.written;
  const uint64_t known = number_after(first.written, "* OK [HIGHESTMODSEQ ");
  const uint64_t validity = number_after(first.written, "* OK [UIDVALIDITY ");
  ASSERT_GT(known, 0u);
  {
    // Meanwhile another program (not tracking mod-sequences): \Flagged on 1, 2 expunged, 3 arrives.
    auto box = std::move(*h.store_of().open("INBOX"));
    ASSERT_TRUE(box->set_flags(1, store::kFlagFlagged, 0));
    ASSERT_TRUE(box->expunge(2));
  }
  h.deliver("Subject: three\n\n3\n");
  const std::string q = " (QRESYNC (" + std::to_string(validity) + " " + std::to_string(known) + "))";
  auto t = testing::run(h, script({kLogin, "a ENABLE QRESYNC", "b SELECT INBOX" + q,
                                   "c UID FETCH 1:* (FLAGS) (CHANGEDSINCE " + std::to_string(known) + " VANISHED)",
                                   "d STORE 1 +FLAGS.SILENT (\\Deleted)", "e EXPUNGE", "f EXAMINE INBOX (QRESYNC (1 1))",
                                   "g FETCH 1 (FLAGS) (CHANGEDSINCE 1 VANISHED)"}));
  const std::string& w = t.written;
  const size_t select_ok = w.find("b OK [READ-WRITE]");
  ASSERT_NE(select_ok, std::string::npos) << w;
  const size_t vanished = w.find("* VANISHED (EARLIER) 2\r\n");
  EXPECT_LT(vanished, select_ok) << w;
  EXPECT_GT(vanished, w.find("* OK [HIGHESTMODSEQ ")) << w;
  EXPECT_NE(w.find("* 1 FETCH (UID 1 FLAGS (\\Flagged) MODSEQ ("), std::string::npos) << w;
  // The new message is announced by EXISTS only during SELECT; UID FETCH CHANGEDSINCE names it.
  EXPECT_GT(w.find("* 2 FETCH (UID 3 FLAGS () MODSEQ ("), select_ok) << w;
  EXPECT_NE(w.find("* 2 FETCH (UID 3 FLAGS () MODSEQ ("), std::string::npos) << w;
  const size_t c_vanished = w.find("* VANISHED (EARLIER) 2\r\n", select_ok);
  EXPECT_LT(c_vanished, w.find("c OK")) << w;
  // EXPUNGE says VANISHED (no EARLIER) and the mod-sequence reached.
  EXPECT_NE(w.find("* VANISHED 1\r\ne OK [HIGHESTMODSEQ "), std::string::npos) << w;
  EXPECT_EQ(w.find(" EXPUNGE\r\n"), std::string::npos) << w;
  // Another SELECT: CLOSED first; a stale UIDVALIDITY gets a plain SELECT.
  const size_t closed = w.find("* OK [CLOSED] Previous mailbox closed.\r\n");
  EXPECT_GT(closed, w.find("e OK")) << w;
  EXPECT_EQ(w.find("VANISHED (EARLIER)", closed), std::string::npos) << w;
  EXPECT_EQ(tagged(w, "g"), "g BAD VANISHED needs UID FETCH, CHANGEDSINCE and QRESYNC enabled.");

  auto no_enable = testing::run(h, script({kLogin, "a SELECT INBOX" + q, "b SELECT INBOX (CONDSTORE", "c SELECT INBOX (FOO)"}));
  EXPECT_EQ(tagged(no_enable.written, "a"), "a BAD QRESYNC must be enabled first (ENABLE QRESYNC).");
  EXPECT_TRUE(tagged(no_enable.written, "b").starts_with("b BAD")) << no_enable.written;
  EXPECT_EQ(tagged(no_enable.written, "c"), "c BAD Unknown SELECT parameter.");
}

TEST(ImapCondstore, EnableWhileSelectedAnnouncesHighestModseqOnce) {
  CondstoreBox h;
  auto t = testing::run(h, script({kLogin, "a SELECT INBOX", "b ENABLE CONDSTORE", "c ENABLE CONDSTORE QRESYNC",
                                   "d NOOP"}));
  const std::string& w = t.written;
  EXPECT_NE(w.find("* OK [HIGHESTMODSEQ "), std::string::npos) << w;
  EXPECT_EQ(w.find("* OK [HIGHESTMODSEQ ", w.find("* OK [HIGHESTMODSEQ ") + 1), std::string::npos) << w;
  EXPECT_NE(w.find("* ENABLED CONDSTORE\r\nb OK"), std::string::npos) << w;
  EXPECT_NE(w.find("* ENABLED QRESYNC\r\nc OK"), std::string::npos) << w;
  EXPECT_EQ(w.find("FETCH"), std::string::npos) << w;  // first mod-sequences are no change
}

}  // namespace
}  // namespace tern::imap
