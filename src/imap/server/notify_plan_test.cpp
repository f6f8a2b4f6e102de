// NotifyPlan (notify_plan.h): which group covers which mailbox.
#include "imap/server/notify_plan.h"

#include <gtest/gtest.h>

namespace tern::imap {
namespace {

using F = NotifyGroup::Filter;

NotifyPlan::Group group(F f, std::vector<std::string> folders, bool messages, bool names = false) {
  NotifyPlan::Group g;
  g.filter = f;
  g.folders = std::move(folders);
  g.events.message_new = g.events.message_expunge = messages;
  g.events.mailbox_name = names;
  return g;
}

TEST(NotifyPlan, FirstMatchingGroupWins) {
  NotifyPlan plan({group(F::selected_delayed, {}, true), group(F::mailboxes, {"Work"}, false, true),
                   group(F::subtree, {"Lists", "inbox"}, true), group(F::subscribed, {}, true),
                   group(F::personal, {}, false, true)});
  std::set<std::string> subs{"Sent"};
  ASSERT_NE(plan.selected(), nullptr);
  EXPECT_EQ(plan.selected()->filter, F::selected_delayed);
  // Work: the mailboxes group (no message events), not the later personal one.
  ASSERT_NE(plan.events_for("Work", subs), nullptr);
  EXPECT_FALSE(plan.events_for("Work", subs)->message_new);
  EXPECT_TRUE(plan.events_for("Work", subs)->mailbox_name);
  // subtree: the folder and those below, not a name that only starts alike.
  EXPECT_TRUE(plan.events_for("Lists", subs)->message_new);
  EXPECT_TRUE(plan.events_for("Lists.tern", subs)->message_new);
  EXPECT_FALSE(plan.events_for("Listsx", subs)->message_new);  // personal
  EXPECT_TRUE(plan.events_for("INBOX", subs)->message_new);      // "inbox" is INBOX in any case
  EXPECT_TRUE(plan.events_for("Sent", subs)->message_new);       // subscribed
  EXPECT_FALSE(plan.events_for("Drafts", subs)->message_new);    // personal
  EXPECT_TRUE(plan.watches_messages());
}

TEST(NotifyPlan, NothingMatches) {
  NotifyPlan plan({group(F::inboxes, {}, true), group(F::selected, {}, false)});
  std::set<std::string> none;
  EXPECT_EQ(plan.events_for("Other", none), nullptr);
  EXPECT_NE(plan.events_for("INBOX", none), nullptr);
  EXPECT_FALSE(plan.selected()->events.message_new);
  EXPECT_FALSE(NotifyPlan({group(F::selected, {}, true)}).watches_messages());
  EXPECT_EQ(NotifyPlan().selected(), nullptr);
}

}  // namespace
}  // namespace tern::imap
