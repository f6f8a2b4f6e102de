// Implementation of the per-address AUTH failure table (see auth_failures.h).
#include "sasl/auth_failures.h"

namespace tern::sasl {

int AuthFailures::count(const std::string& ip, Clock::time_point now, std::chrono::seconds window) {
  std::lock_guard lock(mu_);
  return count_locked(ip, now, window);
}

int AuthFailures::count_locked(const std::string& ip, Clock::time_point now, std::chrono::seconds window) {
  auto it = entries_.find(ip);
  if (it == entries_.end()) return 0;
  if (now - it->second.last > window) {
    entries_.erase(it);
    return 0;
  }
  return it->second.failures;
}

int AuthFailures::record(const std::string& ip, Clock::time_point now, std::chrono::seconds window) {
  std::lock_guard lock(mu_);
  int before = count_locked(ip, now, window);
  if (before == 0) make_room(now, window);
  Entry& e = entries_[ip];
  e.failures = before + 1;
  e.last = now;
  return e.failures;
}

void AuthFailures::make_room(Clock::time_point now, std::chrono::seconds window) {
  if (entries_.size() < max_) return;
  for (auto it = entries_.begin(); it != entries_.end();)
    it = now - it->second.last > window ? entries_.erase(it) : std::next(it);
  while (entries_.size() >= max_ && !entries_.empty()) {
    auto oldest = entries_.begin();
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
      if (it->second.last < oldest->second.last) oldest = it;
    entries_.erase(oldest);
  }
}

}  // namespace tern::sasl
