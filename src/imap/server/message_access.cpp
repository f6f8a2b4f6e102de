// How a session gets at a message for FETCH, SEARCH and SORT: its CRLF
// bytes (read once per command and kept for the next attribute), and the
// facts of message_cache.h (header, ENVELOPE, BODY, BODYSTRUCTURE), from the
// process's cache or worked out from the bytes and put there.
#include "imap/server/message_size.h"
#include "imap/server/message_text.h"
#include "imap/server/session.h"

namespace tern::imap {

const std::string* Session::message_bytes(uint32_t uid) {
  if (cached_uid_ == uid) return &cached_bytes_;
  auto bytes = box_->read(uid);
  if (!bytes) return nullptr;
  cached_bytes_ = to_crlf(*bytes);
  cached_uid_ = uid;
  return &cached_bytes_;
}

void Session::forget_message_bytes() {
  cached_uid_ = 0;
  std::string().swap(cached_bytes_);  // a large message's memory goes too
  held_facts_.reset();
}

uint64_t Session::rfc822_size(const store::MessageInfo& m) {
  if (cached_uid_ == m.uid) return cached_bytes_.size();
  return message_vsize(*box_, m);
}

std::shared_ptr<const CachedMessage> Session::message_facts(uint32_t uid) {
  MessageCache* cache = host_.message_cache();
  std::string key = cache ? box_->message_key(uid) : std::string();
  if (!key.empty())
    if (auto hit = cache->find(key)) return hit;
  const std::string* bytes = message_bytes(uid);
  if (!bytes) return nullptr;
  auto facts = std::make_shared<CachedMessage>();
  facts->header = header_of(*bytes);
  if (services_->structure) {
    auto parsed = services_->structure->parse(*bytes);
    facts->envelope = parsed->envelope();
    facts->body = parsed->bodystructure(false);
    facts->bodystructure = parsed->bodystructure(true);
  }
  if (!key.empty()) cache->put(std::move(key), facts);
  return facts;
}

const std::string* Session::message_header(uint32_t uid) {
  held_facts_ = message_facts(uid);
  return held_facts_ ? &held_facts_->header : nullptr;
}

}  // namespace tern::imap
