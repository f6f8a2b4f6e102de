// Table of client transactions: which reply decides which recipient, and
// what the client does next (RFC 2920 pipelining rules, transaction.h).
#include "smtp/proto/transaction.h"

#include <gtest/gtest.h>

using namespace tern::smtp;

namespace {

Reply R(int code, const char* text = "x") { return Reply(code, "", text); }
const Reply kLost(421, "4.4.2", "lost connection with mx.example.com while receiving the initial server greeting");

std::vector<Outcome> outcomes(const TransactionVerdict& v) {
  std::vector<Outcome> o;
  for (auto& r : v.recipients) o.push_back(r.outcome);
  return o;
}

using O = Outcome;

TEST(Transaction, OneOfThreeRefused) {
  auto v = evaluate_transaction(3, true, {R(250), R(250), R(550, "no such user"), R(250), R(354)}, kLost);
  EXPECT_EQ(outcomes(v), (std::vector<O>{O::pending, O::bounced, O::pending}));
  EXPECT_EQ(v.recipients[1].reply.lines[0], "no such user");
  EXPECT_EQ(v.recipients[1].stage, Stage::rcpt);
  EXPECT_EQ(v.next, NextStep::send_content);
  apply_content_reply(v, R(250, "queued as X"));
  EXPECT_EQ(outcomes(v), (std::vector<O>{O::sent, O::bounced, O::sent}));
  EXPECT_EQ(v.recipients[0].stage, Stage::content);
  EXPECT_EQ(stage_text(v.recipients[1].stage), "RCPT TO");
  EXPECT_EQ(v.next, NextStep::reset);
}

TEST(Transaction, Cases) {
  struct Case {
    const char* name;
    size_t rcpts;
    bool data;
    std::vector<Reply> replies;
    std::vector<O> want;
    NextStep next;
  } cases[] = {
      {"MAIL refused: everyone gets it",
       2,
       true,
       {R(553), R(503), R(503), R(503)},
       {O::bounced, O::bounced},
       NextStep::reset},
      {"MAIL 4xx", 2, true, {R(451), R(503), R(503), R(503)}, {O::deferred, O::deferred}, NextStep::reset},
      {"MAIL 421", 1, true, {R(421)}, {O::deferred}, NextStep::hang_up},
      {"no one accepted, DATA 354 anyway",
       2,
       true,
       {R(250), R(550), R(450), R(354)},
       {O::bounced, O::deferred},
       NextStep::send_dot_reset},
      {"no one accepted, DATA 554", 1, true, {R(250), R(550), R(554)}, {O::bounced}, NextStep::reset},
      {"DATA refused: accepted ones get it",
       2,
       true,
       {R(250), R(250), R(550), R(451)},
       {O::deferred, O::bounced},
       NextStep::reset},
      {"DATA 250 is a fault, not a delivery", 1, true, {R(250), R(250), R(250)}, {O::deferred}, NextStep::reset},
      {"RCPT 3xx is a fault", 1, true, {R(250), R(354), R(503)}, {O::deferred}, NextStep::reset},
      {"421 in the middle",
       3,
       true,
       {R(250), R(250), R(421), R(250), R(354)},
       {O::deferred, O::deferred, O::deferred},
       NextStep::hang_up},
      {"lost after MAIL", 2, true, {R(250)}, {O::deferred, O::deferred}, NextStep::hang_up},
      {"lost before DATA's reply", 2, true, {R(250), R(250), R(550)}, {O::deferred, O::bounced}, NextStep::hang_up},
      {"nothing at all", 1, true, {}, {O::deferred}, NextStep::hang_up},
      {"BDAT: no DATA in the group",
       2,
       false,
       {R(250), R(250), R(250)},
       {O::pending, O::pending},
       NextStep::send_content},
      {"BDAT, no one accepted", 1, false, {R(250), R(550)}, {O::bounced}, NextStep::reset},
  };
  for (auto& c : cases) {
    auto v = evaluate_transaction(c.rcpts, c.data, c.replies, kLost);
    EXPECT_EQ(outcomes(v), c.want) << c.name;
    EXPECT_EQ(v.next, c.next) << c.name;
  }
}

TEST(Transaction, LostConnectionKeepsTheReason) {
  auto v = evaluate_transaction(2, true, {R(250), R(250)}, kLost);
  EXPECT_EQ(v.recipients[0].reply.enhanced, "4.4.2");
  EXPECT_EQ(v.recipients[1].reply.enhanced, "4.4.2");
  EXPECT_EQ(v.recipients[1].stage, Stage::rcpt);
}

TEST(Transaction, ContentReplies) {
  for (auto [code, want] : {std::pair{250, O::sent}, std::pair{452, O::deferred}, std::pair{552, O::bounced},
                            std::pair{354, O::deferred}}) {
    auto v = evaluate_transaction(1, true, {R(250), R(250), R(354)}, kLost);
    apply_content_reply(v, R(code));
    EXPECT_EQ(v.recipients[0].outcome, want) << code;
  }
  auto v = evaluate_transaction(1, true, {R(250), R(250), R(354)}, kLost);
  apply_content_reply(v, R(421));
  EXPECT_EQ(v.next, NextStep::hang_up);
}

}  // namespace
