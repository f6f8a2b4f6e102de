// An account's subscribed mailboxes (SUBSCRIBE, UNSUBSCRIBE, LSUB), in the
// Maildir root's "subscriptions" file as Dovecot and Courier write their
// simplest form (Dovecot reads it as its version-1 format): one mailbox name
// (the store's modified UTF-7 form) per line. Dovecot's version-2 header
// line ("V\t2") is understood when read: its names, with a tab for the
// hierarchy delimiter, are taken too. The file is replaced whole (write,
// fsync, rename) at each change, and the process's ChangeHub is told under
// the file's path (NOTIFY's SubscriptionChange); with no path, the list
// lives in memory.
//
// SECURITY: the file is the user's; lines that are no valid folder name
// are skipped, and the list is bounded (kMaxSubscriptions).
#pragma once

#include <set>
#include <string>

#include "base/result.h"

namespace tern::imap {

inline constexpr size_t kMaxSubscriptions = 10000;

class Subscriptions {
 public:
  // Reads the file ("" or a missing file: none).
  explicit Subscriptions(std::string path);
  const std::set<std::string>& names() const { return names_; }
  Status add(const std::string& folder);
  Status remove(const std::string& folder);
  const std::string& path() const { return path_; }

 private:
  Status save();
  std::string path_;
  std::set<std::string> names_;
};

}  // namespace tern::imap
