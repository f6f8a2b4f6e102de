// Tests of the bounce step's choices (bouncer.h): which recipients a
// notification names (NOTIFY), who gets it (sender, postmaster, nobody),
// what it is from, and how an expiry or a delay is worded. The format of
// the report itself is mail/dsn_test.cpp's and test_dsn_format.py's.
#include "scheduler/bouncer.h"

#include <gtest/gtest.h>

using namespace tern;
using namespace tern::scheduler;

namespace {

struct Fixture {
  queue::Envelope env;
  std::vector<PassRecipient> pass;
  NoticeSettings s;
  Fixture() {
    env.id = "Q1";
    env.sender = "s@example.org";
    env.arrival = 1000;
    for (const char* a : {"fail@x", "ok@x", "slow@x"}) {
      queue::Recipient r;
      r.address = a;
      env.recipients.push_back(r);
    }
    for (auto& r : env.recipients) pass.push_back({&r, std::vector<rewrite::Target>{}, true, {}});
    pass[0].outcome.done = true;
    env.recipients[0].done = true;
    pass[0].outcome.reports.push_back({TargetReport::Action::failed, "fail@x", "5.1.1", "unknown user", {}});
    pass[1].outcome.done = true;
    env.recipients[1].done = true;
    pass[1].outcome.reports.push_back({TargetReport::Action::delivered, "ok@x", "2.0.0", {}, {}});
    pass[2].outcome.reason = "mailbox busy";
    pass[2].outcome.reason_dsn = "4.2.1";
    s.myhostname = "mx.example.org";
    s.double_bounce_recipient = "postmaster@example.org";
    s.now = 2000;
  }
  std::optional<Notice> compose(bool expired = false, bool warn = false) {
    std::string dropped;
    auto n = compose_notice(s, env, "Subject: hi\n\nbody\n", notice_lines(pass, expired, warn), dropped);
    last_dropped = dropped;
    return n;
  }
  std::string last_dropped;
};

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

}  // namespace

TEST(Bouncer, OneReportNamesOnlyTheFailure) {
  Fixture f;
  auto n = f.compose();
  ASSERT_TRUE(n);
  EXPECT_EQ(n->envelope.sender, "");
  EXPECT_EQ(n->envelope.origin, queue::Origin::bounce);
  ASSERT_EQ(n->envelope.recipients.size(), 1u);
  EXPECT_EQ(n->envelope.recipients[0].address, "s@example.org");
  EXPECT_EQ(n->log_kind, "sender non-delivery notification");
  EXPECT_EQ(count(n->content, "Final-Recipient:"), 1u);
  EXPECT_NE(n->content.find("Final-Recipient: rfc822; fail@x"), std::string::npos);
  EXPECT_NE(n->content.find("Diagnostic-Code: X-tern; unknown user"), std::string::npos);
  EXPECT_NE(n->content.find("From: MAILER-DAEMON@mx.example.org"), std::string::npos);
}

TEST(Bouncer, NotifyChoosesWhatIsReported) {
  Fixture f;
  f.env.recipients[0].notify = queue::dsn_notify::never;
  EXPECT_FALSE(f.compose());
  EXPECT_EQ(f.last_dropped, "");  // nothing to say, nothing logged
  f.env.recipients[0].notify = queue::dsn_notify::delay;  // no FAILURE: no failure report
  EXPECT_FALSE(f.compose());
  f.env.recipients[1].notify = queue::dsn_notify::success;
  auto n = f.compose();
  ASSERT_TRUE(n);
  EXPECT_EQ(n->log_kind, "sender delivery status notification");
  EXPECT_NE(n->content.find("Action: delivered"), std::string::npos);
  EXPECT_EQ(count(n->content, "Final-Recipient:"), 1u);
}

TEST(Bouncer, OrcptAndRewrittenRecipientBecomeOriginalRecipient) {
  Fixture f;
  f.env.recipients[0].orcpt = "rfc822;Old@x";
  auto n = f.compose();
  ASSERT_TRUE(n);
  EXPECT_NE(n->content.find("Original-Recipient: rfc822; Old@x"), std::string::npos);
  Fixture g;
  g.pass[0].outcome.reports[0].address = "fail@elsewhere";  // an alias led there
  n = g.compose();
  ASSERT_TRUE(n);
  EXPECT_NE(n->content.find("Original-Recipient: rfc822; fail@x"), std::string::npos);
  EXPECT_NE(n->content.find("Final-Recipient: rfc822; fail@elsewhere"), std::string::npos);
}

TEST(Bouncer, NullSenderAndDoubleBounces) {
  Fixture f;
  f.env.sender = "";
  EXPECT_FALSE(f.compose());
  EXPECT_EQ(f.last_dropped, "sender is null: no non-delivery notification");
  f.env.origin = queue::Origin::bounce;  // a bounce of ours failed: postmaster
  auto n = f.compose();
  ASSERT_TRUE(n);
  EXPECT_EQ(n->envelope.recipients[0].address, "postmaster@example.org");
  EXPECT_EQ(n->envelope.origin, queue::Origin::double_bounce);
  EXPECT_EQ(n->envelope.sender, "");
  EXPECT_EQ(n->log_kind, "postmaster non-delivery notification");
  f.env.origin = queue::Origin::double_bounce;  // and that failed: dropped
  EXPECT_FALSE(f.compose());
  EXPECT_EQ(f.last_dropped, "undeliverable postmaster notification discarded");
}

TEST(Bouncer, ExpiryFailsThePendingWith447AndTheLastReason) {
  Fixture f;
  f.pass[0].outcome.reports.clear();
  auto n = f.compose(/*expired=*/true);
  ASSERT_TRUE(n);
  EXPECT_NE(n->content.find("Final-Recipient: rfc822; slow@x"), std::string::npos);
  EXPECT_NE(n->content.find("Status: 4.4.7"), std::string::npos);
  EXPECT_NE(n->content.find("message expired: mailbox busy"), std::string::npos);
  EXPECT_NE(n->content.find("Action: failed"), std::string::npos);
}

TEST(Bouncer, DelayWarningNamesTheDeferred) {
  Fixture f;
  f.pass[0].outcome.reports.clear();
  f.s.retry_until = 5000;
  auto n = f.compose(false, /*warn=*/true);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->log_kind, "sender delay notification");
  EXPECT_NE(n->content.find("Action: delayed"), std::string::npos);
  EXPECT_NE(n->content.find("Status: 4.2.1"), std::string::npos);
  EXPECT_NE(n->content.find("Will-Retry-Until:"), std::string::npos);
  // Headers only for a delay warning (RET not given).
  EXPECT_NE(n->content.find("text/rfc822-headers"), std::string::npos);
  f.env.recipients[2].notify = queue::dsn_notify::failure;  // no DELAY asked
  EXPECT_FALSE(f.compose(false, true));
}
