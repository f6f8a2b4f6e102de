// LoginCache: remembers, for a while, that a user proved a password, so that
// the next login with the same password skips the yescrypt check. Without it
// every IMAP or POP3 login costs tens of milliseconds of CPU on purpose, and a
// burst of reconnecting clients (a restart, a phone waking up with five
// accounts open) queues behind the two hashing threads; Dovecot offers the
// same trade with auth_cache_size and auth_cache_ttl.
//
// What is kept per user: a keyed hash (HMAC-SHA-256 under a random key made
// for this process, never written anywhere) of the password that worked, the
// stored hash it was checked against, and when. A lookup hits only when the
// password's keyed hash and the stored hash are both unchanged and the entry is
// younger than the time to live: a new password in the user database, or a
// locked account, misses at once. Failures are never cached, so a guessed
// password always costs the full check, and a hit (a fast success) tells the
// client nothing the success itself does not.
//
// Thread-safe: lookups come from the event loop, remembers from the hashing
// threads. Bounded: past `max_bytes` the oldest entries go first.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tern::auth {

class LoginCache {
 public:
  using Clock = std::chrono::steady_clock;
  LoginCache();
  // max_bytes 0 turns the cache off (and empties it).
  void configure(size_t max_bytes, std::chrono::seconds ttl);
  // True when `user` proved `password` against `stored_hash` less than the
  // time to live ago.
  bool hit(std::string_view user, std::string_view password, std::string_view stored_hash,
           Clock::time_point now = Clock::now());
  // Records a successful check.
  void remember(std::string_view user, std::string_view password, std::string_view stored_hash,
                Clock::time_point now = Clock::now());
  size_t entries() const;

 private:
  struct Entry {
    std::string user;
    std::string password_mac;  // 32 bytes
    std::string stored_hash;
    Clock::time_point when;
  };
  std::string mac(std::string_view password) const;
  static size_t cost(const Entry& e);
  void evict_to(size_t limit);

  mutable std::mutex mu_;
  unsigned char key_[32];
  bool key_ok_ = false;
  size_t max_bytes_ = 0, used_bytes_ = 0;
  std::chrono::seconds ttl_{0};
  std::list<Entry> lru_;  // most recently remembered first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> by_user_;
};

}  // namespace tern::auth
