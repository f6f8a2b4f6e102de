// NOTIFY's argument parser (notify.h): groups, filters, events, the RFC's
// pairing rules, BADEVENT for events tern does not report, bounds.
#include <gtest/gtest.h>

#include "imap/proto/command_reader.h"
#include "imap/proto/notify.h"

using namespace tern::imap;

namespace {

std::variant<NotifyRequest, NotifyError> parse(const std::string& line) {
  CommandReader r;
  r.feed("t NOTIFY " + line + "\r\n");
  Event e = r.next();
  EXPECT_EQ(e.kind, Event::Kind::command) << line;
  return parse_notify(e.command.args);
}

NotifyRequest ok(const std::string& line) {
  auto p = parse(line);
  if (auto* e = std::get_if<NotifyError>(&p)) ADD_FAILURE() << line << ": " << e->text;
  return std::holds_alternative<NotifyRequest>(p) ? std::get<NotifyRequest>(p) : NotifyRequest{};
}

NotifyError err(const std::string& line) {
  auto p = parse(line);
  EXPECT_TRUE(std::holds_alternative<NotifyError>(p)) << line;
  return std::holds_alternative<NotifyError>(p) ? std::get<NotifyError>(p) : NotifyError{};
}

using F = NotifyGroup::Filter;

TEST(NotifyParse, NoneAndGroups) {
  EXPECT_TRUE(ok("NONE").none);
  auto r = ok("SET STATUS (selected (MessageNew (UID BODY.PEEK[HEADER]) MessageExpunge FlagChange)) "
              "(subtree (INBOX \"Foo Bar\") (MessageNew MessageExpunge MailboxName)) (mailboxes x (SubscriptionChange)) "
              "(personal NONE)");
  EXPECT_FALSE(r.none);
  EXPECT_TRUE(r.status);
  ASSERT_EQ(r.groups.size(), 4u);
  EXPECT_EQ(r.groups[0].filter, F::selected);
  EXPECT_TRUE(r.groups[0].events.flag_change);
  ASSERT_EQ(r.groups[0].events.fetch.size(), 1u);
  EXPECT_EQ(r.groups[0].events.fetch[0].items.size(), 2u);
  EXPECT_EQ(r.groups[1].filter, F::subtree);
  EXPECT_EQ(r.groups[1].names, (std::vector<std::string>{"INBOX", "Foo Bar"}));
  EXPECT_TRUE(r.groups[1].events.mailbox_name);
  EXPECT_FALSE(r.groups[1].events.flag_change);
  EXPECT_EQ(r.groups[2].names, (std::vector<std::string>{"x"}));
  EXPECT_TRUE(r.groups[2].events.subscription_change);
  EXPECT_FALSE(r.groups[3].events.any());
  // Case does not matter; selected-delayed; inboxes.
  auto d = ok("set (SELECTED-DELAYED (messagenew messageexpunge)) (Inboxes (MessageNew MessageExpunge))");
  EXPECT_EQ(d.groups[0].filter, F::selected_delayed);
  EXPECT_EQ(d.groups[1].filter, F::inboxes);
  EXPECT_FALSE(d.status);
}

TEST(NotifyParse, Errors) {
  // Syntax: BAD.
  for (const char* line : {"", "BOGUS", "NONE x", "SET", "SET STATUS", "SET selected", "SET (selected)",
                           "SET (nowhere (MessageNew MessageExpunge))", "SET (subtree (MessageNew MessageExpunge))",
                           "SET (mailboxes () (MessageNew MessageExpunge))", "SET (personal ())",
                           "SET (personal (MessageNew MessageExpunge) extra)", "SET (personal (\"MessageNew\"))"}) {
    auto e = err(line);
    EXPECT_FALSE(e.bad_event) << line;
  }
  // The RFC's rules (5.1, 5.2, 5.4): BAD.
  for (const char* line : {"SET (personal (MessageNew))", "SET (personal (MessageExpunge))",
                           "SET (personal (FlagChange))", "SET (personal (MessageNew MessageExpunge MessageNew))",
                           "SET (selected (MailboxName))", "SET (selected-delayed (SubscriptionChange))",
                           "SET (personal (MessageNew (UID) MessageExpunge))", "SET (selected (MessageNew () MessageExpunge))"}) {
    auto e = err(line);
    EXPECT_FALSE(e.bad_event) << line;
  }
  // Events tern does not report: NO [BADEVENT].
  for (const char* line : {"SET (personal (AnnotationChange))", "SET (personal (MailboxMetadataChange))",
                           "SET (selected (MessageNew MessageExpunge ServerMetadataChange))", "SET (personal (Whatever))"}) {
    EXPECT_TRUE(err(line).bad_event) << line;
  }
}

TEST(NotifyParse, NamesAreBounded) {
  std::string names;
  for (size_t i = 0; i <= kMaxNotifyNames; ++i) names += " m" + std::to_string(i);
  CommandReader r;
  r.feed("t NOTIFY SET (mailboxes (" + names.substr(1) + ") (MessageNew MessageExpunge))\r\n");
  Event e = r.next();
  ASSERT_EQ(e.kind, Event::Kind::command);
  auto p = parse_notify(e.command.args);
  ASSERT_TRUE(std::holds_alternative<NotifyError>(p));
  // Exactly the limit is fine, also spread over two groups.
  std::string half1, half2;
  for (size_t i = 0; i < kMaxNotifyNames / 2; ++i) half1 += " a" + std::to_string(i), half2 += " b" + std::to_string(i);
  auto two = ok("SET (mailboxes (" + half1.substr(1) + ") (MessageNew MessageExpunge)) (subtree (" + half2.substr(1) +
                ") (MailboxName))");
  EXPECT_EQ(two.groups[0].names.size() + two.groups[1].names.size(), kMaxNotifyNames);
}

}  // namespace
