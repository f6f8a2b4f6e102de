// AuthFailures: failed logins (SMTP AUTH, POP3 USER/PASS and AUTH) per
// client address, across sessions and protocols, so that a client guessing
// passwords gets growing delays and, past smtpd_sasl_failure_limit, a
// closed connection however often it reconnects (docs/behaviour.md, "Brute force"). Owned by the
// server (one per daemon, kept across reloads); used on the sessions'
// event-loop thread and IMAP's session loops (io/loop_pool.h), under a lock.
//
// SECURITY: the table is keyed by client address, which an attacker with
// many addresses controls: it holds at most max_clients entries, dropping
// expired ones first and then the one whose last failure is oldest.
// A success does not clear an address's count: an attacker who owns one
// account could otherwise reset the count between guesses at others.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace tern::sasl {

class AuthFailures {
 public:
  using Clock = std::chrono::steady_clock;
  explicit AuthFailures(size_t max_clients = 10000) : max_(max_clients) {}
  // Failures from `ip` whose latest one is within `window` of `now`
  // (a quiet window forgets the address).
  int count(const std::string& ip, Clock::time_point now, std::chrono::seconds window);
  // Records one more failure; returns the count including it.
  int record(const std::string& ip, Clock::time_point now, std::chrono::seconds window);
  size_t size() const {
    std::lock_guard lock(mu_);
    return entries_.size();
  }

 private:
  struct Entry {
    int failures = 0;
    Clock::time_point last;
  };
  int count_locked(const std::string& ip, Clock::time_point now, std::chrono::seconds window);
  void make_room(Clock::time_point now, std::chrono::seconds window);
  size_t max_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace tern::sasl
