// Tests of the scheduler's use of retry_rules (retry_plan.h): which
// recipient chooses the rule, the fallback to the back-off when no rule
// matches, the give-up wording, and Will-Retry-Until.
#include "scheduler/retry_plan.h"

#include <gtest/gtest.h>

using namespace tern;
using namespace tern::scheduler;

namespace {

struct PlanFixture {
  DeliveryServices svc;
  std::vector<queue::Recipient> recipients;
  std::vector<PassRecipient> pass;
  PlanFixture(const char* rules, std::vector<std::pair<const char*, const char*>> pending) {
    auto parsed = retry::parse(rules);
    EXPECT_TRUE(parsed);
    svc.retry_rules = std::make_shared<const retry::Rules>(*parsed);
    recipients.resize(pending.size() + 1);
    recipients[0].address = "done@first.test";  // crossed off: never chooses
    recipients[0].done = true;
    for (size_t i = 0; i < pending.size(); ++i) recipients[i + 1].address = pending[i].first;
    for (size_t i = 0; i < recipients.size(); ++i) {
      pass.push_back({&recipients[i], std::vector<rewrite::Target>{}, true, {}});
      if (i > 0) pass[i].outcome.reason = pending[i - 1].second;
    }
  }
};

const char* kRefusedText = "connect to a[127.0.0.1]:25: Connection refused";
const char* rcpt451 = "host a[127.0.0.1] said: 451 4.3.0 later (in reply to RCPT TO command)";

TEST(RetryPlan, FirstPendingRecipientChoosesTheRule) {
  PlanFixture f("first.test * F,1h,1m  second.test * F,1h,2m  * * F,1h,3m",
            {{"a@Second.Test", kRefusedText}, {"b@first.test", kRefusedText}});
  auto plan = plan_retry(f.svc, f.pass, 0);
  ASSERT_NE(plan.rule, nullptr);
  EXPECT_EQ(plan.delay_s(0), 120);
  EXPECT_FALSE(plan.give_up);
}

TEST(RetryPlan, ErrorTypeOfThatRecipientsReason) {
  PlanFixture f("* rcpt_4xx F,1h,1m  * * F,1h,3m", {{"a@x.test", rcpt451}, {"b@x.test", kRefusedText}});
  EXPECT_EQ(plan_retry(f.svc, f.pass, 0).delay_s(0), 60);
}

TEST(RetryPlan, NoMatchingRuleFallsBackToTheBackOff) {
  PlanFixture f("only.test * F,1h,1m", {{"a@x.test", kRefusedText}});
  auto plan = plan_retry(f.svc, f.pass, 10 * 86400);
  EXPECT_EQ(plan.rule, nullptr);
  EXPECT_FALSE(plan.give_up);
  EXPECT_EQ(f.pass[1].outcome.reason, kRefusedText);
  EXPECT_EQ(retry_until(plan, 1000, 5 * 86400), 1000 + 5 * 86400);
}

TEST(RetryPlan, PastTheCutoffGivesUpWithTheReasonKept) {
  PlanFixture f("* * F,3s,1s", {{"a@x.test", kRefusedText}, {"b@x.test", ""}});
  auto plan = plan_retry(f.svc, f.pass, 3);
  EXPECT_TRUE(plan.give_up);
  EXPECT_EQ(f.pass[1].outcome.reason, std::string("retry timeout exceeded (") + kRefusedText + ")");
  EXPECT_EQ(f.pass[2].outcome.reason, "retry timeout exceeded");
  EXPECT_EQ(f.pass[0].outcome.reason, "");  // crossed off: untouched
  EXPECT_EQ(retry_until(plan, 1000, 5 * 86400), 1003);
}

TEST(RetryPlan, NoRulesNoPlan) {
  DeliveryServices svc;
  queue::Recipient r;
  r.address = "a@x.test";
  std::vector<PassRecipient> pass{{&r, std::vector<rewrite::Target>{}, true, {}}};
  auto plan = plan_retry(svc, pass, 99 * 86400);
  EXPECT_EQ(plan.rule, nullptr);
  EXPECT_FALSE(plan.give_up);
  EXPECT_EQ(plan.delay_s(0), 0);
}

}  // namespace
