// The POP-before-SMTP login table (see recent_logins.h).
#include "policy/recent_logins.h"

#include <algorithm>

namespace tern::policy {

void RecentLogins::record(std::string_view ip, Clock::time_point when) {
  std::lock_guard lock(mu_);
  auto it = last_login_.find(std::string(ip));
  if (it != last_login_.end()) {
    it->second = std::max(it->second, when);
    return;
  }
  if (max_entries_ == 0) return;
  if (last_login_.size() >= max_entries_) {
    // Full: forget the oldest login (a linear scan, only when full).
    auto oldest = std::min_element(last_login_.begin(), last_login_.end(),
                                   [](auto& a, auto& b) { return a.second < b.second; });
    last_login_.erase(oldest);
  }
  last_login_.emplace(std::string(ip), when);
}

bool RecentLogins::recent(std::string_view ip, std::chrono::seconds window, Clock::time_point now) const {
  std::lock_guard lock(mu_);
  auto it = last_login_.find(std::string(ip));
  if (it == last_login_.end()) return false;
  return it->second <= now && now - it->second <= window;
}

size_t RecentLogins::size() const {
  std::lock_guard lock(mu_);
  return last_login_.size();
}

}  // namespace tern::policy
