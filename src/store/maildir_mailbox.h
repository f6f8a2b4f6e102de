// One Maildir folder as a Mailbox (mailbox.h): its messages are the files
// of cur/ (refresh() first moves new/ into cur/ with an empty ":2," info,
// as Dovecot does), their UIDs come from the folder's dovecot-uidlist
// (uidlist_file.h), flags live in the file names (maildir_filename.h).
//
// Append: the message is written to tmp/ and fsynced; then, under the
// uidlist lock, renamed into cur/ with its flags, cur/ fsynced, and its
// record appended to the index in place and fdatasynced (or the index
// rewritten: fsync, rename, fsync; see sync_locked) before the UID is
// returned. A crash before the index write leaves a message without a UID,
// which the next refresh numbers from next_uid: a message may show up that
// the client was not told about, but nothing is lost and no UID is reused.
// Records are only ever dropped with cur/ scanned under the lock, so a
// session never drops a record another session has just written; an
// append alone takes next_uid under the lock without listing cur/
// (number_appended_locked), since it drops nothing.
// Copy: a hard link into the destination's tmp/ (the same inode, as
// Dovecot does), then the append path; across file systems, read + append.
// Keywords: dovecot-keywords (keywords.h) names the letters; a new name
// gets a free letter under the uidlist lock, as Dovecot does, and the file
// is replaced by rename after an fsync.
// Opening a folder removes files older than 36 hours from tmp/ (left by a
// writer that died; the Maildir rule). Flag changes rename the file in cur/ (not fsynced: a crash may lose a
// flag change, never a message); expunge unlinks and fsyncs cur/.
//
// Mod-sequences (CONDSTORE), once a session enables them: tern-modseq
// (modseq_file.h), written under its lock by the sessions that track them;
// changes made by others get theirs when such a session next looks.
//
// Handles: the folder, cur/, new/ and tmp/ stay open while the mailbox is
// in use; release_handles() closes them (an IMAP session in IDLE then costs
// one descriptor, its socket) and the next call opens them again, refusing a
// folder renamed or replaced meanwhile. refresh() first stamps the folder by
// path: when nothing moved since its last listing, or another mailbox of the
// process has listed the folder as it is now (store/shared_listings.h), it
// neither opens nor lists it, so one delivery to a folder that thousands of
// IDLE sessions watch is listed once per process, not once per session.
//
// SECURITY: the folder, cur/, new/ and tmp/ are opened with O_NOFOLLOW and
// every file relative to them; symlinks and other non-regular entries are
// skipped, names failing maildir_name_ok ignored, message files opened
// with O_NOFOLLOW.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/fd.h"
#include "store/keywords.h"
#include "store/mailbox.h"
#include "store/modseq_file.h"
#include "store/shared_listings.h"
#include "store/stamp_settle.h"
#include "store/uidlist.h"

namespace tern::store {

class MaildirMailbox final : public Mailbox {
 public:
  // root: the account's Maildir (where dovecot-uidvalidity lives); dir: this
  // folder's Maildir (root itself for INBOX). A permanent error (5.2.0) if
  // dir, or its cur/, new/ or tmp/, is missing, a symlink or not a directory.
  static Result<std::unique_ptr<MaildirMailbox>> open(const std::string& root, const std::string& dir,
                                                      std::string name);

  const std::string& name() const override { return name_; }
  uint32_t uidvalidity() const override { return uidvalidity_; }
  uint32_t uidnext() const override { return uidnext_; }
  uint64_t modseq() const override { return modseq_; }
  const std::vector<MessageInfo>& messages() const override { return messages_; }
  const MessageInfo* find(uint32_t uid) const override;
  Result<UniqueFd> open_message(uint32_t uid) override;
  Result<std::string> read(uint32_t uid) override;
  Result<uint64_t> crlf_size(uint32_t uid) override;
  Result<MessageFlags> set_flags(uint32_t uid, MessageFlags add, MessageFlags remove) override;
  Result<std::vector<std::string>> set_keywords(uint32_t uid, const std::vector<std::string>& add,
                                                const std::vector<std::string>& remove) override;
  Result<const MessageInfo*> store_flags(uint32_t uid, MessageFlags add, MessageFlags remove,
                                         const std::vector<std::string>& kw_add,
                                         const std::vector<std::string>& kw_remove,
                                         uint64_t unchanged_since) override;
  bool enable_modseqs() override;
  bool modseqs_enabled() const override { return modseqs_ != nullptr; }
  std::optional<std::vector<uint32_t>> expunged_since(uint64_t since) const override;
  std::vector<std::string> keywords() const override;
  Status expunge_all(const std::vector<uint32_t>& uids) override;
  Result<uint32_t> append(std::string_view bytes, MessageFlags flags, int64_t internal_date_s) override;
  Result<std::unique_ptr<AppendDraft>> begin_append() override;  // maildir_append.cpp
  Result<uint32_t> copy_to(uint32_t uid, Mailbox& dest) override;
  Result<RefreshChanges> refresh() override { return refresh_after(0); }
  Result<RefreshChanges> refresh_after(uint64_t told) override;  // 0: look anew
  std::string message_key(uint32_t uid) const override;
  void release_handles() override;
  std::unique_ptr<ChangeHub::Watch> watch(ChangeHub::Callback cb) override {
    return ChangeHub::process().watch(dir_, std::move(cb));
  }
  // Drafts go to tmp/ even where an unnamed file in cur/ could be made
  // (maildir_append.cpp); process-wide, for the tests of that path.
  static void set_named_drafts_only(bool on);
  // True once refresh() found the index replaced (lost, damaged, or rebuilt
  // by another session): every UID this session knew is void, and an IMAP
  // session must end (RFC 3501 2.3.1.1).
  bool uidvalidity_changed() const { return uidvalidity_changed_; }

 private:
  friend class MaildirDraft;
  MaildirMailbox() = default;
  struct Current {                 // one file of cur/ with its UID
    uint32_t uid = 0;
    std::string name;              // file name in cur/
  };
  using IndexStamp = FileStamp;  // to notice another writer's rewrite
  Result<FolderStamp> folder_stamp();
  // The same, taken by path without opening the folder (an IDLE session has
  // let its handles go), with dovecot-keywords' when `keywords`; nullopt
  // when the folder cannot be looked at.
  std::optional<PathStamp> stamp_by_path(bool keywords) const;
  // The folder as it is now, by path: another mailbox's look taken since the
  // hub's generation `told` (not 0), or a new one, shared with the others;
  // nullopt when the folder at dir_ is not the one opened, or cannot be
  // looked at: refresh() then takes its full path, which says why.
  std::optional<PathStamp> path_stamp(uint64_t told) const;
  // A listing is taken only with the keywords it was read with: a letter
  // given since changes no message's name, so no folder stamp.
  std::optional<FileStamp> keywords_stamp_by_path() const;
  // The view becomes `current` (the folder's files with their UIDs,
  // ascending) of an index with `uidvalidity`; what changed against the old
  // view is returned. A message new to the view gets its MessageInfo from
  // `look` (nullopt: gone meanwhile, never shown).
  using Look = std::function<Result<std::optional<MessageInfo>>(Current&)>;
  Result<RefreshChanges> take_view(std::vector<Current>& current, uint32_t uidvalidity, const Look& look);
  // refresh() by another mailbox's listing of the folder as it is now.
  Result<RefreshChanges> adopt(const FolderListing& listing);
  Status open_dirs();
  Status reacquire();  // open_dirs() again after release_handles()
  // A message being added by append or copy: a file of tmp/ (tmp_name), or
  // an unnamed one (O_TMPFILE) made in cur/ and open as fd (>= 0); it goes
  // into cur/ as cur_name under the uidlist lock (place()).
  struct Incoming {
    std::string tmp_name;
    int fd = -1;
    std::string_view cur_name;
  };
  // Moves new/ into cur/, then lists cur/ with UIDs, numbering unknown files
  // under the lock. With `in` (append, copy): only that message is placed
  // and numbered, its UID returned in *added_uid, cur/ fsynced after.
  // What a refresh has just seen of the folder, with the settle mark read
  // before it (folder_stamp, which also found cur/ not removed): the scan
  // then neither stats new/ and dovecot-uidlist again nor checks for removal.
  struct Seen {
    FolderStamp stamp;
    SettleMark mark;
  };
  Result<std::vector<Current>> sync(const Incoming* in = nullptr, uint32_t* added_uid = nullptr,
                                    const Seen* seen = nullptr);
  Status place(const Incoming& in);
  Status reread_index();
  void note_index_written();
  Status sync_locked(std::vector<std::string>& cur_names);
  Result<std::optional<uint32_t>> number_appended_locked(std::string_view base);
  Result<std::vector<std::string>> scan_new(const Seen* seen = nullptr);
  Status load_index_if_changed(const Seen* seen = nullptr);
  Status check_not_deleted();
  Status load_keywords(bool force = false);
  Result<std::string> letters_for(const std::vector<std::string>& names, bool create);
  Result<MessageInfo*> rename_message(uint32_t uid, MessageFlags add, MessageFlags remove, std::string_view kw_add,
                                      std::string_view kw_remove, uint64_t unchanged_since = kAnyModseq);
  // Once enable_modseqs(), under the modseq lock after a scan: each message
  // of the snapshot gets its mod-sequence (a new one when its flags are not
  // those recorded), vanished ones are recorded, and messages whose
  // mod-sequence moved join changes.flags_changed.
  Status record_modseqs(RefreshChanges& changes);
  void record_rename(MessageInfo& m, const ModseqEntry* recorded, const std::string& name);
  void record_expunges(const std::vector<uint32_t>& removed);
  std::vector<std::string> keyword_names(std::string_view letters) const;
  void clean_tmp();
  Status rebuild_index(std::string_view why);
  Result<uint32_t> commit(const Incoming& in);
  Result<std::optional<std::string>> find_current(const std::string& base);  // nullopt: gone
  Result<std::string> current_name(const std::string& base);
  Result<bool> stat_new_message(std::string& name, struct stat& st);
  MessageInfo* find_mut(uint32_t uid);
  Result<UniqueFd> open_file(uint32_t uid, struct stat& st);  // open_message, with its stat

  std::string root_, dir_, name_;
  UniqueFd dir_fd_, cur_fd_, new_fd_, tmp_fd_;  // closed by release_handles()
  std::optional<std::pair<dev_t, ino_t>> identity_;  // the folder's, when first opened
  Uidlist index_;
  KeywordTable keywords_;
  std::optional<IndexStamp> keywords_read_;  // dovecot-keywords as last read, when settled
  IndexStamp stamp_;
  bool fine_stamps_ = false;  // store/stamp_settle.h, decided when the folder is first opened
  // What refresh() saw of the folder before its last full scan: when none
  // of it has changed, nothing in the folder has, and refresh() skips the
  // scan (a command in the selected state no longer lists cur/ and new/).
  std::optional<FolderStamp> scanned_;
  std::unique_ptr<SharedListings::Member> listings_;  // store/shared_listings.h
  std::optional<int64_t> new_empty_at_;  // new/'s mtime when last listed empty, if settled then
  size_t cur_listing_bytes_ = 0;         // what cur/'s last listing took (base/dir_entries.h)
  bool have_index_ = false;
  // Looked up by the base of each listed name, a view into it (no copy).
  struct BaseHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, uint32_t, BaseHash, std::equal_to<>> uid_of_base_;
  std::vector<MessageInfo> messages_;
  std::vector<std::string> names_;      // parallel to messages_: file name in cur/
  uint32_t uidvalidity_ = 0, uidnext_ = 1;
  uint64_t modseq_ = 1;
  std::unique_ptr<ModseqFile> modseqs_;  // once enable_modseqs()
  bool uidvalidity_changed_ = false;
};

}  // namespace tern::store
