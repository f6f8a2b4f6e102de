// MaildirMailbox's mod-sequences (see maildir_mailbox.h and modseq_file.h):
// what a scan, a flag change and an expunge record in tern-modseq once a
// session has enabled them.
#include <algorithm>

#include "base/log.h"
#include "store/maildir_mailbox.h"

namespace tern::store {

bool MaildirMailbox::enable_modseqs() {
  if (!modseqs_) {
    modseqs_ = std::make_unique<ModseqFile>(dir_);
    scanned_.reset();  // the next refresh() reads the folder and the record whole
  }
  return true;
}

std::optional<std::vector<uint32_t>> MaildirMailbox::expunged_since(uint64_t since) const {
  if (!modseqs_ || since < modseqs_->table().floor) return std::nullopt;
  std::vector<uint32_t> out;
  for (const auto& [uid, m] : modseqs_->table().expunged)
    if (m > since) out.push_back(uid);
  return out;
}

Status MaildirMailbox::record_modseqs(RefreshChanges& changes) {
  if (Status st = modseqs_->adopt(dir_fd_.get(), uidvalidity_); !st) return st;
  const ModseqTable& t = modseqs_->table();
  uint64_t fresh = 0;  // one new mod-sequence for every change found in this scan
  auto next = [&] { return fresh ? fresh : (fresh = modseqs_->next()); };
  const size_t reported = changes.flags_changed.size();
  for (size_t i = 0; i < messages_.size(); ++i) {
    MessageInfo& info = messages_[i];
    const std::string sig = maildir_info_letters(names_[i]);
    auto it = t.live.find(info.uid);
    uint64_t now;
    if (it != t.live.end() && it->second.sig == sig) {
      now = it->second.modseq;
      info.first_modseq = it->second.added;
    } else {
      now = next();
      info.first_modseq = it != t.live.end() ? it->second.added : now;
      modseqs_->record_live(info.uid, now, sig, info.first_modseq);
    }
    if (info.modseq != 0 && info.modseq != now &&
        !std::binary_search(changes.flags_changed.begin(), changes.flags_changed.begin() + reported, info.uid))
      changes.flags_changed.push_back(info.uid);
    info.modseq = now;
  }
  for (const auto& [uid, e] : t.live)
    if (!find(uid)) modseqs_->record_expunged(uid, next());
  if (Status st = modseqs_->commit(dir_fd_.get()); !st) return st;
  std::sort(changes.flags_changed.begin(), changes.flags_changed.end());
  modseq_ = t.highest;
  return ok_status();
}

// After a rename under the modseq lock (rename_message): the message's new
// flags at a new mod-sequence; `recorded` is its entry before, if any.
void MaildirMailbox::record_rename(MessageInfo& m, const ModseqEntry* recorded, const std::string& name) {
  m.modseq = modseqs_->next();
  if (recorded) m.first_modseq = recorded->added;
  if (m.first_modseq == 0) m.first_modseq = m.modseq;
  modseqs_->record_live(m.uid, m.modseq, maildir_info_letters(name), m.first_modseq);
  if (Status st = modseqs_->commit(dir_fd_.get()); !st)
    log::warn("{}: cannot record the mod-sequence of UID {}: {}", dir_, m.uid, st.error().detail);
  modseq_ = modseqs_->table().highest;
}

// The removals are durable; their record is not (modseq_file.h): at worst
// another tracking session records them at its next look.
void MaildirMailbox::record_expunges(const std::vector<uint32_t>& removed) {
  ModseqUnlock unlock{modseqs_.get()};
  Status st = modseqs_->lock(dir_fd_.get());
  if (st) st = modseqs_->adopt(dir_fd_.get(), uidvalidity_);
  if (st) {
    const uint64_t m = modseqs_->next();
    for (uint32_t uid : removed) modseqs_->record_expunged(uid, m);
    st = modseqs_->commit(dir_fd_.get());
    modseq_ = modseqs_->table().highest;
  }
  if (!st) log::warn("{}: cannot record expunges: {}", dir_, st.error().detail);
}

}  // namespace tern::store
