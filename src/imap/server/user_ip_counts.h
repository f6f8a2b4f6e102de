// How many IMAP sessions each user has logged in from each address, for
// mail_max_userip_connections (Dovecot's parameter and default, 10): one
// client address cannot open a user's mailbox without bound (a client
// stuck in a reconnect loop, a leaked password used from one place),
// while an office behind one NAT address still can, user by user.
// Thread-safe: IMAP sessions log in and end on several event loops.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace tern::imap {

class UserIpCounts {
 public:
  // Counts one more session of user from ip unless limit are there
  // already (limit 0: no limit); false: refused, nothing counted.
  bool claim(const std::string& user, const std::string& ip, size_t limit) {
    std::lock_guard<std::mutex> g(mu_);
    size_t& n = counts_[key(user, ip)];
    if (limit > 0 && n >= limit) {
      if (n == 0) counts_.erase(key(user, ip));
      return false;
    }
    ++n;
    return true;
  }
  // The end of a session that claim() counted.
  void release(const std::string& user, const std::string& ip) {
    std::lock_guard<std::mutex> g(mu_);
    auto it = counts_.find(key(user, ip));
    if (it == counts_.end()) return;
    if (--it->second == 0) counts_.erase(it);
  }
  size_t count(const std::string& user, const std::string& ip) const {
    std::lock_guard<std::mutex> g(mu_);
    auto it = counts_.find(key(user, ip));
    return it == counts_.end() ? 0 : it->second;
  }

 private:
  // A user name cannot hold a NUL (it came through SASL or an astring).
  static std::string key(const std::string& user, const std::string& ip) { return user + '\0' + ip; }
  mutable std::mutex mu_;
  std::unordered_map<std::string, size_t> counts_;
};

}  // namespace tern::imap
