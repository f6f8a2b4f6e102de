// MaildirMailbox's flag changes (see maildir_mailbox.h): a message's flags
// and keyword letters live in its file name, so a change is a rename,
// following one made meanwhile by someone else, with its mod-sequence
// recorded and, with mail_fsync = always, cur/ fsynced.
#include <errno.h>
#include <fmt/format.h>
#include <stdio.h>
#include <sys/stat.h>

#include <algorithm>

#include "base/fs.h"
#include "store/change_hub.h"
#include "store/mail_fsync.h"
#include "store/maildir_filename.h"
#include "store/maildir_mailbox.h"

namespace tern::store {

// Renames a message for changed flags and keyword letters, following a
// rename by someone else meanwhile (the change then applies to its flags).
Result<MessageInfo*> MaildirMailbox::rename_message(uint32_t uid, MessageFlags add, MessageFlags remove,
                                                    std::string_view kw_add, std::string_view kw_remove,
                                                    uint64_t unchanged_since) {
  if (Status st = reacquire(); !st) return st.error();
  MessageInfo* m = find_mut(uid);
  if (!m) return Error::with_dsn("5.2.0", fmt::format("{}: no message with UID {}", dir_, uid));
  std::string& name = names_[static_cast<size_t>(m - messages_.data())];
  // Tracking mod-sequences, the check, the rename and its record are one
  // step under the modseq lock for every tracking session.
  ModseqUnlock unlock{modseqs_.get()};
  const ModseqEntry* recorded = nullptr;
  if (modseqs_) {
    if (Status st = modseqs_->lock(dir_fd_.get()); !st) return st.error();
    if (Status st = modseqs_->adopt(dir_fd_.get(), uidvalidity_); !st) return st.error();
    auto it = modseqs_->table().live.find(uid);
    if (it != modseqs_->table().live.end()) recorded = &it->second;
  }
  if (unchanged_since != kAnyModseq) {
    uint64_t now = m->modseq;
    if (recorded) now = std::max(now, recorded->modseq);
    if (now > unchanged_since) return modified_error();
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    MaildirFilename parsed = parse_maildir_filename(name);
    MessageFlags flags = static_cast<MessageFlags>((parsed.flags | add) & ~remove);
    std::string letters;
    for (char c : std::string(parsed.keywords) + std::string(kw_add))
      if (kw_remove.find(c) == std::string_view::npos) letters += c;
    std::string target = format_maildir_filename(parsed.base, flags, letters);
    if (target == name || ::renameat2(cur_fd_.get(), name.c_str(), cur_fd_.get(), target.c_str(),
                                      RENAME_NOREPLACE) == 0) {
      if (target != name && modseqs_) record_rename(*m, recorded, target);
      else if (target != name) ++modseq_;
      if (target != name) ChangeHub::process().changed_in(dir_, "cur");
      if (target != name && mail_fsync() == MailFsync::always)
        if (Status st = fs::fsync_fd(cur_fd_.get(), fs::join(dir_, "cur")); !st) return st.error();
      name = target;
      m->flags = flags;
      m->keywords = keyword_names(parse_maildir_filename(target).keywords);
      m->path = fs::join(fs::join(dir_, "cur"), target);
      return m;
    }
    if (errno != ENOENT && errno != EEXIST) return fs::errno_error("rename", m->path, errno);
    auto now = current_name(std::string(parsed.base));
    if (!now) return now.error();
    // Renamed by someone who left no record: changed after any modseq known.
    if (unchanged_since != kAnyModseq && (!recorded || recorded->sig != maildir_info_letters(*now))) return modified_error();
    name = *now;
  }
  return Error::temp(fmt::format("{}: flags of UID {} keep changing", dir_, uid));
}

Result<MessageFlags> MaildirMailbox::set_flags(uint32_t uid, MessageFlags add, MessageFlags remove) {
  auto m = store_flags(uid, add, remove, {}, {}, kAnyModseq);
  if (!m) return m.error();
  return (*m)->flags;
}

Result<std::vector<std::string>> MaildirMailbox::set_keywords(uint32_t uid, const std::vector<std::string>& add,
                                                              const std::vector<std::string>& remove) {
  auto m = store_flags(uid, 0, 0, add, remove, kAnyModseq);
  if (!m) return m.error();
  return (*m)->keywords;
}

Result<const MessageInfo*> MaildirMailbox::store_flags(uint32_t uid, MessageFlags add, MessageFlags remove,
                                                       const std::vector<std::string>& kw_add,
                                                       const std::vector<std::string>& kw_remove,
                                                       uint64_t unchanged_since) {
  if (Status st = reacquire(); !st) return st.error();
  if (!find(uid)) return Error::with_dsn("5.2.0", fmt::format("{}: no message with UID {}", dir_, uid));
  std::string add_letters, remove_letters;
  if (!kw_add.empty()) {
    auto r = letters_for(kw_add, true);
    if (!r) return r.error();
    add_letters = std::move(*r);
  }
  if (!kw_remove.empty()) {
    auto r = letters_for(kw_remove, false);
    if (!r) return r.error();
    remove_letters = std::move(*r);
  }
  auto m = rename_message(uid, add, remove, add_letters, remove_letters, unchanged_since);
  if (!m) return m.error();
  return *m;
}

}  // namespace tern::store
