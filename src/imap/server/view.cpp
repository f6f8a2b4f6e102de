// The client's view of the selected mailbox (see view.h).
#include "imap/server/view.h"

#include <algorithm>

#include "imap/server/flags.h"

namespace tern::imap {

void SelectedView::reset(const store::Mailbox& box) {
  entries_.clear();
  for (const auto& m : box.messages()) entries_.push_back({m.uid, m.flags, m.keywords, false});
}

std::optional<uint32_t> SelectedView::msn_of(uint32_t uid) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), uid,
                             [](const Entry& e, uint32_t u) { return e.uid < u; });
  if (it == entries_.end() || it->uid != uid) return std::nullopt;
  return static_cast<uint32_t>(it - entries_.begin()) + 1;
}

void SelectedView::set_flags(uint32_t uid, store::MessageFlags flags, const std::vector<std::string>& keywords) {
  if (auto msn = msn_of(uid)) {
    entries_[*msn - 1].flags = flags;
    entries_[*msn - 1].keywords = keywords;
  }
}

void SelectedView::sync(const store::Mailbox& box, bool allow_expunge, std::string& out) {
  const auto& msgs = box.messages();
  std::vector<uint32_t> changed;  // UIDs whose flags the client has not seen
  size_t j = 0;
  for (auto& e : entries_) {
    while (j < msgs.size() && msgs[j].uid < e.uid) ++j;
    if (j < msgs.size() && msgs[j].uid == e.uid) {
      if (!e.gone && (msgs[j].flags != e.flags || msgs[j].keywords != e.keywords)) {
        e.flags = msgs[j].flags;
        e.keywords = msgs[j].keywords;
        changed.push_back(e.uid);
      }
    } else {
      e.gone = true;
    }
  }
  if (allow_expunge) {
    for (size_t i = 0; i < entries_.size();) {
      if (entries_[i].gone) {
        out += "* " + std::to_string(i + 1) + " EXPUNGE\r\n";
        entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
  }
  size_t before = entries_.size();
  uint32_t last = max_uid();
  for (const auto& m : msgs)
    if (m.uid > last) entries_.push_back({m.uid, m.flags, m.keywords, false});
  if (entries_.size() != before) out += "* " + std::to_string(entries_.size()) + " EXISTS\r\n";
  for (uint32_t uid : changed) {
    uint32_t msn = *msn_of(uid);
    const Entry& e = entries_[msn - 1];
    out += "* " + std::to_string(msn) + " FETCH (UID " + std::to_string(uid) + " FLAGS " +
           flag_list(e.flags, e.keywords) + ")\r\n";
  }
}

}  // namespace tern::imap
