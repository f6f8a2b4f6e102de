// NOTIFY (RFC 5465) in whole sessions: one session sets NOTIFY and waits
// without sending a command while another delivers, expunges, creates and
// subscribes; what the first one hears, and when (before its next command).
#include <gtest/gtest.h>

#include "imap/server/session_harness.h"

namespace tern::imap {
namespace {

using testing::FakeHost;
using testing::kLogin;
using testing::script;
using testing::tagged;

// A session of alice that logs in, runs `setup` (one command per line)
// and then only waits, until the idle timeout hangs it up.
std::deque<io::Segment> waiting(std::initializer_list<std::string> setup) {
  std::deque<io::Segment> in{"", kLogin + "\r\n", ""};
  for (const auto& l : setup) {
    in.push_back(l + "\r\n");
    in.push_back("");
  }
  in.push_back(io::Segment::stall());
  return in;
}

// Another session of alice, its commands after `delay`, a second apart
// (so that the waiting session hears of each on its own).
std::deque<io::Segment> later(std::chrono::seconds delay, std::initializer_list<std::string> lines) {
  std::deque<io::Segment> in{"", kLogin + "\r\n", io::Segment::after(delay)};
  for (const auto& l : lines) {
    in.push_back(l + "\r\n");
    in.push_back(io::Segment::after(std::chrono::seconds(1)));
  }
  in.push_back("z LOGOUT\r\n");
  return in;
}

TEST(ImapNotify, PushesSelectedAndOtherMailboxes) {
  FakeHost h;
  h.deliver("Subject: one\n\nbody\n");
  auto ts = testing::run_all(
      h, {testing::Client{waiting({"s SELECT INBOX",
                                   "n NOTIFY SET (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (Subject)]) "
                                   "MessageExpunge)) (personal (MessageNew MessageExpunge MailboxName SubscriptionChange))"})},
          testing::Client{later(std::chrono::seconds(40),
                                {"c CREATE Other", "a APPEND INBOX {17+}\r\nSubject: two\r\n\r\nx",
                                 "b APPEND Other {3+}\r\nnew", "d SUBSCRIBE Other", "e DELETE Other"})}});
  const std::string& w = ts[0].written;
  EXPECT_EQ(tagged(w, "n"), "n OK NOTIFY completed.") << w;
  const size_t bye = w.find("* BYE Disconnected for inactivity.");
  ASSERT_NE(bye, std::string::npos) << w;
  auto at = [&](const std::string& s) {
    size_t p = w.find(s);
    EXPECT_NE(p, std::string::npos) << s << "\n" << w;
    EXPECT_LT(p, bye) << s;
    return p;
  };
  // Each change, pushed as it happened and in its order, before any command.
  size_t created = at("* LIST () \".\" Other\r\n");
  size_t exists = at("* 2 EXISTS\r\n* 2 FETCH (UID 2 BODY[HEADER.FIELDS (SUBJECT)] {16}\r\nSubject: two\r\n\r\n)\r\n");
  size_t status = at("* STATUS Other (MESSAGES 1 UIDNEXT 2 UIDVALIDITY ");
  size_t subscribed = at("* LIST (\\Subscribed) \".\" Other\r\n");
  size_t deleted = at("* LIST (\\NonExistent) \".\" Other\r\n");
  EXPECT_LT(created, exists);
  EXPECT_LT(exists, status);
  EXPECT_LT(status, subscribed);
  EXPECT_LT(subscribed, deleted);
  EXPECT_NE(w.find("UNSEEN 1)\r\n", status), std::string::npos);
  // PEEK: the new message is still unseen.
  auto box = h.store_of().open("INBOX");
  ASSERT_TRUE(box);
  EXPECT_FALSE((*box)->messages().back().flags & store::kFlagSeen);
  EXPECT_FALSE(h.hung);
}

// selected pushes an expunge at once; selected-delayed holds it for a
// command that may announce it, while new mail is still pushed.
TEST(ImapNotify, SelectedDelayedHoldsExpunges) {
  for (bool delayed : {false, true}) {
    FakeHost h;
    h.deliver("Subject: one\n\n1\n");
    h.deliver("Subject: two\n\n2\n");
    std::string filter = delayed ? "selected-delayed" : "selected";
    std::deque<io::Segment> a{"", kLogin + "\r\n", "", "s SELECT INBOX\r\n", "",
                              "n NOTIFY SET (" + filter + " (MessageNew MessageExpunge))\r\n",
                              io::Segment::after(std::chrono::seconds(100)), "p NOOP\r\n", "", "z LOGOUT\r\n"};
    auto b = later(std::chrono::seconds(40), {"s SELECT INBOX", "t STORE 1 +FLAGS.SILENT (\\Deleted)", "x EXPUNGE",
                                              "a APPEND INBOX {3+}\r\nnew"});
    auto ts = testing::run_all(h, {testing::Client{a}, testing::Client{b}});
    const std::string& w = ts[0].written;
    const size_t noop = w.find("p OK");
    ASSERT_NE(noop, std::string::npos) << w;
    if (!delayed) {
      EXPECT_NE(w.find("n OK NOTIFY completed.\r\n* 1 EXPUNGE\r\n* 2 EXISTS\r\np OK"), std::string::npos) << w;
    } else {
      EXPECT_NE(w.find("n OK NOTIFY completed.\r\n* 3 EXISTS\r\n* 1 EXPUNGE\r\np OK"), std::string::npos) << w;
    }
    EXPECT_FALSE(h.hung);
  }
}

// Flag changes of the selected mailbox are pushed only with FlagChange
// (without it they wait for a command, and this client sends none).
TEST(ImapNotify, FlagChangeOnlyWhenAsked) {
  for (bool flags : {false, true}) {
    FakeHost h;
    h.deliver("Subject: one\n\n1\n");
    std::string events = flags ? "(MessageNew MessageExpunge FlagChange)" : "(MessageNew MessageExpunge)";
    auto b = later(std::chrono::seconds(40), {"s SELECT INBOX", "t STORE 1 +FLAGS.SILENT (\\Flagged)"});
    auto ts = testing::run_all(
        h, {testing::Client{waiting({"s SELECT INBOX", "n NOTIFY SET (selected " + events + ")"})}, testing::Client{b}});
    const std::string& w = ts[0].written;
    bool told = w.find("n OK NOTIFY completed.\r\n* 1 FETCH (UID 1 FLAGS (\\Flagged))\r\n* BYE") != std::string::npos;
    EXPECT_EQ(told, flags) << w;
    EXPECT_NE(w.find("* BYE Disconnected for inactivity."), std::string::npos) << w;
    EXPECT_FALSE(h.hung);
  }
}

// A live RFC 5267 context is updated by the push too, around the EXISTS.
TEST(ImapNotify, PushUpdatesSearchContexts) {
  FakeHost h;
  h.deliver("Subject: one\n\n1\n");
  auto ts = testing::run_all(
      h, {testing::Client{waiting({"s SELECT INBOX", "u UID SEARCH RETURN (UPDATE) UNSEEN",
                                   "n NOTIFY SET (selected (MessageNew MessageExpunge))"})},
          testing::Client{later(std::chrono::seconds(40), {"a APPEND INBOX {3+}\r\nnew"})}});
  const std::string& w = ts[0].written;
  EXPECT_NE(w.find("n OK NOTIFY completed.\r\n* 2 EXISTS\r\n* ESEARCH (TAG \"u\") UID ADDTO (0 2)\r\n* BYE"),
            std::string::npos)
      << w;
  EXPECT_FALSE(h.hung);
}

TEST(ImapNotify, StatusOptionNoneAndErrors) {
  FakeHost h;
  h.deliver("Subject: one\n\n1\n");
  {
    auto s = h.store_of();
    ASSERT_TRUE(s.create("Work"));
  }
  auto t = testing::run(
      h, script({kLogin, "a NOTIFY SET STATUS (mailboxes (Work INBOX nosuch) (MessageNew MessageExpunge))",
                 "b NOTIFY SET (personal (AnnotationChange))", "c NOTIFY SET (personal (MessageNew))",
                 "d NOTIFY SET (inboxes (MessageNew (FLAGS) MessageExpunge))", "e NOTIFY NONE",
                 "f NOTIFY SET (selected (MessageNew (ENVELOPE) MessageExpunge))"}));
  const std::string& w = t.written;
  EXPECT_NE(w.find("* STATUS INBOX (MESSAGES 1 UIDNEXT 2 UIDVALIDITY "), std::string::npos) << w;
  EXPECT_NE(w.find("* STATUS Work (MESSAGES 0 UIDNEXT 1 UIDVALIDITY "), std::string::npos) << w;
  EXPECT_EQ(w.find("nosuch"), std::string::npos) << w;
  EXPECT_EQ(tagged(w, "a"), "a OK NOTIFY completed.");
  EXPECT_EQ(tagged(w, "b"),
            "b NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)] This event is not reported.");
  EXPECT_TRUE(tagged(w, "c").starts_with("c BAD ")) << w;
  EXPECT_TRUE(tagged(w, "d").starts_with("d BAD ")) << w;
  EXPECT_EQ(tagged(w, "e"), "e OK NOTIFY completed.");
  // The harness wires no MIME parser: ENVELOPE cannot be promised.
  EXPECT_TRUE(tagged(w, "f").starts_with("f NO [CANNOT]")) << w;
  auto before = testing::run(h, script({"a NOTIFY NONE"}, false));
  EXPECT_EQ(tagged(before.written, "a"), "a BAD Not logged in.");
}

// A rename in this process is told as one, with OLDNAME (RFC 5465 5.4),
// for the folder and its children; a delete after it as a delete.
TEST(ImapNotify, RenameIsToldWithOldName) {
  FakeHost h;
  {
    auto s = h.store_of();
    ASSERT_TRUE(s.create("Work"));
    ASSERT_TRUE(s.create("Work.Sub"));
  }
  auto ts = testing::run_all(
      h, {testing::Client{waiting({"n NOTIFY SET (personal (MailboxName))"})},
          testing::Client{later(std::chrono::seconds(40), {"r RENAME Work Done", "d DELETE Done.Sub"})}});
  const std::string& w = ts[0].written;
  EXPECT_NE(w.find("* LIST () \".\" Done (\"OLDNAME\" (Work))\r\n* LIST () \".\" Done.Sub (\"OLDNAME\" (Work.Sub))\r\n"),
            std::string::npos)
      << w;
  EXPECT_NE(w.find("* LIST (\\NonExistent) \".\" Done.Sub\r\n"), std::string::npos) << w;
  EXPECT_EQ(w.find("NonExistent) \".\" Work"), std::string::npos) << w;
  EXPECT_FALSE(h.hung);
}

// A NOTIFY SET that fails (BAD, NO) leaves the one before in force.
TEST(ImapNotify, FailedSetKeepsThePreviousOne) {
  FakeHost h;
  auto ts = testing::run_all(
      h, {testing::Client{waiting({"n NOTIFY SET (personal (MessageNew MessageExpunge MailboxName))",
                                   "b NOTIFY SET (selected (MessageNew (BODY[NOPE]) MessageExpunge))",
                                   "c NOTIFY SET (selected (MessageNew (ENVELOPE) MessageExpunge))",
                                   "d NOTIFY SET (personal (AnnotationChange))"})},
          testing::Client{later(std::chrono::seconds(40), {"c CREATE Other"})}});
  const std::string& w = ts[0].written;
  EXPECT_TRUE(tagged(w, "b").starts_with("b BAD")) << w;
  EXPECT_TRUE(tagged(w, "c").starts_with("c NO [CANNOT]")) << w;
  EXPECT_TRUE(tagged(w, "d").starts_with("d NO [BADEVENT")) << w;
  EXPECT_NE(w.find("* LIST () \".\" Other\r\n"), std::string::npos) << w;
  EXPECT_FALSE(h.hung);
}

// NOTIFY NONE stops the pushes; a second NOTIFY SET replaces the first.
TEST(ImapNotify, NoneStopsPushes) {
  FakeHost h;
  auto ts = testing::run_all(
      h, {testing::Client{waiting({"n NOTIFY SET (personal (MessageNew MessageExpunge MailboxName))",
                                   "m NOTIFY SET (inboxes (MessageNew MessageExpunge))", "o NOTIFY NONE"})},
          testing::Client{later(std::chrono::seconds(40), {"c CREATE Other", "a APPEND INBOX {3+}\r\nnew"})}});
  const std::string& w = ts[0].written;
  EXPECT_EQ(tagged(w, "o"), "o OK NOTIFY completed.") << w;
  EXPECT_EQ(w.find("* LIST"), std::string::npos) << w;
  EXPECT_EQ(w.find("* STATUS"), std::string::npos) << w;
  EXPECT_FALSE(h.hung);
}

}  // namespace
}  // namespace tern::imap
