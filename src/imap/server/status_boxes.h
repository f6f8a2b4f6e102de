// Folders a session opened for STATUS (and NOTIFY's STATUS events), kept
// between commands. Asked again, a kept folder is only looked at again
// (a refresh: a few stats when nothing changed, and only messages new to it
// examined) instead of being opened afresh, which lists it, reads its index
// and stats every message: mail clients and webmails poll STATUS on the
// same folders over and over. Each is left without descriptors after use
// (release_handles), so a session holds none for them between commands,
// and only the last kCapacity folders are kept.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "store/mailbox.h"

namespace tern::imap {

class StatusBoxes {
 public:
  static constexpr size_t kCapacity = 4;

  // The folder, up to date: the kept one refreshed, else opened. A kept one
  // that cannot be refreshed (deleted, renamed, replaced) is dropped and
  // the folder opened anew, so the caller gets what open() says now. The
  // pointer is good until the next call or forget().
  Result<store::Mailbox*> open(store::MailStore& store, std::string_view folder) {
    for (auto it = kept_.begin(); it != kept_.end(); ++it) {
      if (it->first != folder) continue;
      auto entry = std::move(*it);
      kept_.erase(it);
      if (entry.second->refresh()) {
        kept_.push_back(std::move(entry));  // the most recent last
        return kept_.back().second.get();
      }
      break;
    }
    auto opened = store.open(folder);
    if (!opened) return opened.error();
    if (kept_.size() >= kCapacity) kept_.erase(kept_.begin());
    kept_.emplace_back(std::string(folder), std::move(*opened));
    return kept_.back().second.get();
  }

  // Closes the descriptors of all (they are opened again when next used).
  void release() {
    for (auto& [name, box] : kept_) box->release_handles();
  }

  void forget() { kept_.clear(); }

 private:
  std::vector<std::pair<std::string, std::unique_ptr<store::Mailbox>>> kept_;
};

}  // namespace tern::imap
