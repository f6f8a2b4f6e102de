// MessageCache (see message_cache.h): an LruMap under a mutex.
#include "imap/server/message_cache.h"

namespace tern::imap {

void MessageCache::set_limit(size_t max_bytes) {
  std::lock_guard lock(mu_);
  lru_.set_limit(max_bytes);
}

std::shared_ptr<const CachedMessage> MessageCache::find(std::string_view key) {
  std::lock_guard lock(mu_);
  auto* m = lru_.find(key);
  return m ? *m : nullptr;
}

void MessageCache::put(std::string key, std::shared_ptr<const CachedMessage> m) {
  if (!m) return;
  const size_t cost = m->bytes();
  std::lock_guard lock(mu_);
  if (lru_.limit() == 0) return;
  lru_.put(std::move(key), std::move(m), cost);
}

size_t MessageCache::entries() const {
  std::lock_guard lock(mu_);
  return lru_.entries();
}

}  // namespace tern::imap
