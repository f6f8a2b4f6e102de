// Implementation of the cache of proven logins (see login_cache.h).
#include "auth/login_cache.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/random.h>

namespace tern::auth {

LoginCache::LoginCache() {
  // No key, no cache: configure() then keeps it off.
  key_ok_ = getrandom(key_, sizeof key_, 0) == static_cast<ssize_t>(sizeof key_) || RAND_bytes(key_, sizeof key_) == 1;
}

std::string LoginCache::mac(std::string_view password) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key_, sizeof key_, reinterpret_cast<const unsigned char*>(password.data()),
            password.size(), out, &len))
    return {};
  return std::string(reinterpret_cast<const char*>(out), len);
}

size_t LoginCache::cost(const Entry& e) {
  // The strings, the list node and the map slot, roughly.
  return e.user.size() + e.password_mac.size() + e.stored_hash.size() + 160;
}

void LoginCache::configure(size_t max_bytes, std::chrono::seconds ttl) {
  std::lock_guard lock(mu_);
  max_bytes_ = key_ok_ ? max_bytes : 0;
  ttl_ = ttl;
  evict_to(max_bytes_);
}

void LoginCache::evict_to(size_t limit) {
  while (used_bytes_ > limit && !lru_.empty()) {
    used_bytes_ -= cost(lru_.back());
    by_user_.erase(lru_.back().user);
    lru_.pop_back();
  }
}

bool LoginCache::hit(std::string_view user, std::string_view password, std::string_view stored_hash,
                     Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (max_bytes_ == 0 || ttl_.count() <= 0) return false;
  auto it = by_user_.find(user);
  if (it == by_user_.end()) return false;
  const Entry& e = *it->second;
  if (now - e.when >= ttl_ || e.stored_hash != stored_hash) return false;
  std::string m = mac(password);
  return !m.empty() && m.size() == e.password_mac.size() &&
         CRYPTO_memcmp(m.data(), e.password_mac.data(), m.size()) == 0;
}

void LoginCache::remember(std::string_view user, std::string_view password, std::string_view stored_hash,
                          Clock::time_point now) {
  std::string m = mac(password);
  std::lock_guard lock(mu_);
  if (max_bytes_ == 0 || ttl_.count() <= 0 || m.empty()) return;
  if (auto it = by_user_.find(user); it != by_user_.end()) {
    used_bytes_ -= cost(*it->second);
    lru_.erase(it->second);
    by_user_.erase(it);
  }
  lru_.push_front(Entry{std::string(user), std::move(m), std::string(stored_hash), now});
  used_bytes_ += cost(lru_.front());
  by_user_.emplace(lru_.front().user, lru_.begin());
  evict_to(max_bytes_);
}

size_t LoginCache::entries() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

}  // namespace tern::auth
