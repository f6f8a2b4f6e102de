// MessageCache: what FETCH, SEARCH and SORT ask of a message again and
// again, kept in memory once worked out: its header in IMAP's CRLF form,
// ENVELOPE, BODY and BODYSTRUCTURE (its CRLF size is the snapshot's own,
// Mailbox::crlf_size).
// Clients list a folder by fetching the same headers and structures of the
// same messages over and over (a webmail at every page, imaptest's stress
// mix at every command); without this each fetch opens and reads the whole
// file, converts its line ends and runs it through the MIME parser. Dovecot
// keeps the same facts in its dovecot.index.cache file.
//
// Entries are named by Mailbox::message_key: a Maildir message's bytes never
// change under its name, so an entry never goes stale; it only ages out.
// Shared by every session of the process (thread-safe) and bounded by
// imap_message_cache_size (0: off), least recently used first out.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/lru_map.h"

namespace tern::imap {

struct CachedMessage {
  std::string header;         // BODY[HEADER]: CRLF line ends, with the blank line
  // Empty when no MIME parser is wired (FETCH then refuses them before asking).
  std::string envelope;       // ENVELOPE, parenthesised
  std::string body;           // BODY (not extensible)
  std::string bodystructure;  // BODYSTRUCTURE
  size_t bytes() const { return header.size() + envelope.size() + body.size() + bodystructure.size() + sizeof *this; }
};

class MessageCache {
 public:
  void set_limit(size_t max_bytes);
  // nullptr when absent (or the cache is off).
  std::shared_ptr<const CachedMessage> find(std::string_view key);
  void put(std::string key, std::shared_ptr<const CachedMessage> m);
  size_t entries() const;

 private:
  mutable std::mutex mu_;
  LruMap<std::shared_ptr<const CachedMessage>> lru_;
};

}  // namespace tern::imap
