// What retry_rules (retry_rules.h) say about a message after a failed
// pass: the scheduler's side of the rules, kept here so that scheduler.cpp
// only asks (Scheduler::defer for the wait, the end of a pass in
// Scheduler::complete for "give up").
//
// tern defers and retries whole messages and keeps no per-host retry
// database, so: the rule is chosen by the FIRST pending recipient's domain
// and the kind of its last deferral reason (retry_failure.h); "time since
// the first failure" is the time since the message arrived; the previous
// interval is remembered in memory per message (a restart, a requeue or
// `postsuper -r` starts G and H again from their interval). A message no
// rule matches gets the Postfix back-off, as if retry_rules were empty
// (Exim would return it at once: a wrong "give up" loses mail).
#pragma once

#include <ctime>
#include <vector>

#include "scheduler/recipient.h"
#include "scheduler/retry_rules.h"

namespace tern::scheduler {

struct RetryPlan {
  const retry::Rule* rule = nullptr;  // null: the Postfix back-off; owned by the DeliveryServices
  long long age_s = 0;
  bool give_up = false;  // past the rule's last cutoff: return the message (4.4.7)
  // The wait before the next attempt, and what to remember as the previous
  // interval; `previous_s` is what the last call returned (0: none).
  long long delay_s(long long previous_s) const;
};

// The plan for a pass whose pending recipients failed; `age_s` is the time
// since arrival. When it gives up, the reasons of the pending recipients
// become "retry timeout exceeded (REASON)", for the log and the DSN.
RetryPlan plan_retry(const DeliveryServices& svc, std::vector<PassRecipient>& pass, long long age_s);

// When the sender's DSN says retries end ("Will-Retry-Until"): the earlier
// of the queue lifetime's end and the rule's last cutoff.
std::time_t retry_until(const RetryPlan& plan, std::time_t arrival, long long lifetime_s);

}  // namespace tern::scheduler
