// The client's view of the selected mailbox (see view.h).
#include "imap/server/view.h"

#include <algorithm>

#include "imap/proto/sequence_set.h"
#include "imap/server/flags.h"

namespace tern::imap {

void SelectedView::reset(const store::Mailbox& box) {
  entries_.clear();
  for (const auto& m : box.messages()) entries_.push_back({m.uid, m.flags, m.keywords, false, m.modseq});
}

std::optional<uint32_t> SelectedView::msn_of(uint32_t uid) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), uid,
                             [](const Entry& e, uint32_t u) { return e.uid < u; });
  if (it == entries_.end() || it->uid != uid) return std::nullopt;
  return static_cast<uint32_t>(it - entries_.begin()) + 1;
}

void SelectedView::set_flags(uint32_t uid, store::MessageFlags flags, const std::vector<std::string>& keywords,
                             uint64_t modseq) {
  if (auto msn = msn_of(uid)) {
    entries_[*msn - 1].flags = flags;
    entries_[*msn - 1].keywords = keywords;
    entries_[*msn - 1].modseq = modseq;
  }
}

void SelectedView::sync(const store::Mailbox& box, bool allow_expunge, std::string& out, Mode mode) {
  const auto& msgs = box.messages();
  std::vector<uint32_t> changed;  // UIDs whose flags (or, with CONDSTORE, mod-sequence) the client has not seen
  size_t j = 0;
  for (auto& e : entries_) {
    while (j < msgs.size() && msgs[j].uid < e.uid) ++j;
    if (j < msgs.size() && msgs[j].uid == e.uid) {
      // A first mod-sequence (CONDSTORE just turned on) is no change.
      const bool flags_moved = msgs[j].flags != e.flags || msgs[j].keywords != e.keywords;
      const bool modseq_moved = mode.condstore && e.modseq != 0 && msgs[j].modseq != e.modseq;
      if (!e.gone && (flags_moved || modseq_moved)) {
        e.flags = msgs[j].flags;
        e.keywords = msgs[j].keywords;
        changed.push_back(e.uid);
      }
      if (!e.gone) e.modseq = msgs[j].modseq;
    } else {
      e.gone = true;
    }
  }
  if (allow_expunge) {
    // One pass: each EXPUNGE names the position after the ones before it.
    std::vector<uint32_t> vanished;
    size_t kept = 0;
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].gone) {
        if (mode.qresync) vanished.push_back(entries_[i].uid);
        else out += "* " + std::to_string(kept + 1) + " EXPUNGE\r\n";
      } else {
        if (kept != i) entries_[kept] = std::move(entries_[i]);
        ++kept;
      }
    }
    entries_.resize(kept);
    if (!vanished.empty()) out += "* VANISHED " + format_sequence_set(vanished) + "\r\n";
  }
  size_t before = entries_.size();
  uint32_t last = max_uid();
  for (const auto& m : msgs)
    if (m.uid > last) entries_.push_back({m.uid, m.flags, m.keywords, false, m.modseq});
  if (entries_.size() != before) out += "* " + std::to_string(entries_.size()) + " EXISTS\r\n";
  for (uint32_t uid : changed) {
    uint32_t msn = *msn_of(uid);
    const Entry& e = entries_[msn - 1];
    out += "* " + std::to_string(msn) + " FETCH (UID " + std::to_string(uid) + " FLAGS " +
           flag_list(e.flags, e.keywords);
    if (mode.condstore) out += " MODSEQ (" + std::to_string(e.modseq) + ")";
    out += ")\r\n";
  }
}

}  // namespace tern::imap
