// The scheduler's use of retry_rules (see retry_plan.h).
#include "scheduler/retry_plan.h"

#include <random>

#include "base/strings.h"
#include "scheduler/retry_failure.h"

namespace tern::scheduler {

namespace {

long long random_below(long long bound) {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return std::uniform_int_distribution<long long>(0, bound - 1)(gen);
}

}  // namespace

long long RetryPlan::delay_s(long long previous_s) const {
  if (!rule) return 0;
  return retry::next_retry(*rule, age_s, previous_s, random_below).delay_s;
}

RetryPlan plan_retry(const DeliveryServices& svc, std::vector<PassRecipient>& pass, long long age_s) {
  RetryPlan plan;
  plan.age_s = age_s;
  if (!svc.retry_rules || svc.retry_rules->empty()) return plan;
  for (auto& p : pass) {
    if (p.recipient->done) continue;
    auto at = p.recipient->address.rfind('@');
    std::string domain = at == std::string::npos ? std::string() : str::lower(p.recipient->address.substr(at + 1));
    plan.rule = retry::find_rule(*svc.retry_rules, domain, retry::classify(p.outcome.reason, p.outcome.reason_dsn));
    break;
  }
  if (!plan.rule) return plan;
  plan.give_up = retry::next_retry(*plan.rule, age_s, 0, nullptr).give_up;
  if (plan.give_up)
    for (auto& p : pass)
      if (!p.recipient->done)
        p.outcome.reason = p.outcome.reason.empty() ? "retry timeout exceeded"
                                                    : "retry timeout exceeded (" + p.outcome.reason + ")";
  return plan;
}

std::time_t retry_until(const RetryPlan& plan, std::time_t arrival, long long lifetime_s) {
  long long until = lifetime_s;
  if (plan.rule && plan.rule->final_cutoff_s() < until) until = plan.rule->final_cutoff_s();
  return arrival + static_cast<std::time_t>(until);
}

}  // namespace tern::scheduler
