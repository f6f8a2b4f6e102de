// RecentLogins: the client addresses that logged in to POP3 or IMAP, and
// when, for POP-before-SMTP (permit_pop_before_smtp; DRAC in the seeds): a
// user whose mail client cannot do SMTP AUTH reads mail first and may then
// relay from the same address for pop_before_smtp_timeout.
//
// The POP3 and IMAP servers feed it (record() after a successful login);
// they arrive with issue 10, so today nothing does and the restriction
// never permits. One instance lives for the whole daemon (roles/serve.cpp),
// across configuration reloads, and is shared between threads.
//
// SECURITY: the table is bounded (max_entries); when full, the oldest login
// is forgotten, so a flood of logins costs memory once, never without end.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tern::policy {

class RecentLogins {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RecentLogins(size_t max_entries = 65536) : max_entries_(max_entries) {}

  // A client at `ip` logged in (POP3/IMAP) at `when`.
  void record(std::string_view ip, Clock::time_point when = Clock::now());
  // Did `ip` log in within `window` before `now`?
  bool recent(std::string_view ip, std::chrono::seconds window, Clock::time_point now = Clock::now()) const;
  size_t size() const;

 private:
  size_t max_entries_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Clock::time_point> last_login_;
};

}  // namespace tern::policy
