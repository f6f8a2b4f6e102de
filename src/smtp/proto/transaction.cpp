// What a client transaction's replies mean per recipient; see transaction.h.
#include "smtp/proto/transaction.h"

#include <algorithm>

namespace tern::smtp {

Outcome outcome_of(const Reply& r) {
  if (r.code < 300) return Outcome::sent;
  if (r.code < 500) return Outcome::deferred;  // 3xx where a final reply was due is a fault: retry
  return Outcome::bounced;
}

std::string_view stage_text(Stage s) {
  switch (s) {
    case Stage::mail:
      return "MAIL FROM";
    case Stage::rcpt:
      return "RCPT TO";
    case Stage::data:
      return "DATA";
    case Stage::content:
      return "end of DATA";
  }
  return "";
}

size_t TransactionVerdict::accepted() const {
  return static_cast<size_t>(std::count_if(recipients.begin(), recipients.end(),
                                           [](const RecipientResult& r) { return r.outcome == Outcome::pending; }));
}

namespace {

// Decides every recipient still pending (or never answered) with r.
void decide_rest(TransactionVerdict& v, const Reply& r, Stage stage, bool only_pending) {
  for (auto& rc : v.recipients) {
    if (only_pending && rc.outcome != Outcome::pending) continue;
    Outcome o = outcome_of(r);
    rc.outcome = o == Outcome::sent ? Outcome::deferred : o;  // a 2xx here is no delivery
    rc.reply = r;
    rc.stage = stage;
  }
}

}  // namespace

TransactionVerdict evaluate_transaction(size_t rcpt_count, bool expect_data, const std::vector<Reply>& replies,
                                        const Reply& lost_reason) {
  TransactionVerdict v;
  v.recipients.resize(rcpt_count);
  std::vector<bool> answered(rcpt_count, false);
  auto lost = [&](Stage stage) {
    for (size_t i = 0; i < rcpt_count; ++i)
      if (!answered[i] || v.recipients[i].outcome == Outcome::pending) {
        v.recipients[i] = {Outcome::deferred, lost_reason, stage};
        answered[i] = true;
      }
    v.next = NextStep::hang_up;
    return v;
  };
  if (replies.empty()) return lost(Stage::mail);
  const Reply& mail = replies[0];
  if (mail.code >= 300) {
    decide_rest(v, mail, Stage::mail, false);
    v.next = mail.closes() ? NextStep::hang_up : NextStep::reset;
    return v;
  }
  for (size_t i = 0; i < rcpt_count; ++i) {
    if (i + 1 >= replies.size()) return lost(Stage::rcpt);
    const Reply& r = replies[i + 1];
    answered[i] = true;
    v.recipients[i].reply = r;
    v.recipients[i].stage = Stage::rcpt;
    v.recipients[i].outcome = r.code < 300 ? Outcome::pending : outcome_of(r);
    if (r.closes()) {
      // The server is leaving: the rest is deferred with its words.
      for (size_t k = i + 1; k < rcpt_count; ++k) v.recipients[k] = {Outcome::deferred, r, Stage::rcpt};
      decide_rest(v, r, Stage::rcpt, true);
      v.next = NextStep::hang_up;
      return v;
    }
  }
  if (!expect_data) {
    v.next = v.accepted() ? NextStep::send_content : NextStep::reset;
    return v;
  }
  if (rcpt_count + 1 >= replies.size()) return lost(Stage::data);
  const Reply& data = replies[rcpt_count + 1];
  if (data.code == 354) {
    v.next = v.accepted() ? NextStep::send_content : NextStep::send_dot_reset;
    return v;
  }
  decide_rest(v, data, Stage::data, true);
  v.next = data.closes() ? NextStep::hang_up : NextStep::reset;
  return v;
}

void apply_content_reply(TransactionVerdict& v, const Reply& reply) {
  for (auto& rc : v.recipients) {
    if (rc.outcome != Outcome::pending) continue;
    rc.outcome = outcome_of(reply);
    rc.reply = reply;
    rc.stage = Stage::content;
  }
  v.next = reply.closes() ? NextStep::hang_up : NextStep::reset;
}

}  // namespace tern::smtp
