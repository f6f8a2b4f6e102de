// One mbox file as a Mailbox (mailbox.h), kept the way Dovecot keeps it so
// that Dovecot, mutt and Python's mailbox read the same UIDs and flags: the
// state lives in the messages' own headers (mbox_parse.h: X-IMAPbase in the
// first message, X-UID, Status, X-Status, X-Keywords), hidden from clients.
// Messages delivered without an X-UID (mbox_deliver) get the next UIDs at
// the next refresh() or change, which writes them back.
//
// Locking: every change, and every refresh() that finds the file changed,
// holds MboxLock (dot-lock + fcntl write lock, as deliveries take it; so a
// delivery killed mid-append is truncated away first, mbox_lock.h); reading
// a message holds an fcntl read lock. The locks are waited for up to 10 s,
// then the command fails with a temporary error.
//
// Changes: appends go at the end (with an append record in the dot-lock,
// as deliveries do, and fsync). Flags, keywords, expunges and new UIDs
// rewrite the file from the first message concerned to its end, in place,
// through the redo journal of mbox_rewrite.h: in place because the file's
// inode, owner and mode must stay (a spool file belongs to its user, and
// other programs and waiting deliveries hold it open); with a journal so
// that a kill -9 or power loss at any point loses nothing that was
// acknowledged. A change to the first message (or an expunge that would
// otherwise let the UID high-water mark fall) rewrites the whole file.
// Dovecot pads headers to update flags without moving bytes; tern does not
// yet, so a flag change costs a copy of the file's tail (twice, journal).
//
// The snapshot: messages() changes only in refresh() and this object's own
// changes; reads find the message again by UID if others changed the file
// meanwhile. A file whose first message lost its X-IMAPbase gets a new
// UIDVALIDITY, as Dovecot does. An empty file has no X-IMAPbase, so its
// UIDVALIDITY is made up at open (the file's change time, so that sessions
// agree; the time for a missing file) and written with the first message
// this object writes or numbers.
//
// Permissions: the file is opened read-write with the process's own
// credentials; without access, open() fails (temporary error, nothing
// changed). Without a writable directory, there is no dot-lock and no
// journal: the folder can be read if every message has its UID, but not
// changed. A missing file is an empty folder until a message is appended
// (which creates it 0600).
//
// SECURITY: the path comes from configuration; the file is opened with
// O_NOFOLLOW and must be a regular file with one link. Its content is input
// from other programs (mbox_parse.h is bounded).
#pragma once

#include <sys/stat.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/fd.h"
#include "store/mailbox.h"
#include "store/mbox_parse.h"

namespace tern::store {

class MboxLock;

// The flags an mbox keeps in its Status and X-Status headers ($Forwarded
// is a keyword there).
inline constexpr MessageFlags kMboxStoredFlags = kFlagSeen | kFlagAnswered | kFlagDeleted | kFlagFlagged | kFlagDraft;

class MboxMailbox final : public Mailbox {
 public:
  static Result<std::unique_ptr<MboxMailbox>> open(const std::string& path, std::string name);

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
  // STORE in one rewrite (the default would rewrite for flags, then keywords).
  Result<const MessageInfo*> store_flags(uint32_t uid, MessageFlags add, MessageFlags remove,
                                         const std::vector<std::string>& kw_add,
                                         const std::vector<std::string>& kw_remove,
                                         uint64_t unchanged_since) override;
  std::vector<std::string> keywords() const override;
  Status expunge_all(const std::vector<uint32_t>& uids) override;
  Result<uint32_t> append(std::string_view bytes, MessageFlags flags, int64_t internal_date_s) override;
  Result<std::unique_ptr<AppendDraft>> begin_append() override;
  Result<uint32_t> copy_to(uint32_t uid, Mailbox& dest) override;
  Result<RefreshChanges> refresh() override;
  std::string message_key(uint32_t uid) const override;
  std::unique_ptr<ChangeHub::Watch> watch(ChangeHub::Callback cb) override {
    return ChangeHub::process().watch(path_, std::move(cb));
  }
  // As MaildirMailbox's: refresh() found another UIDVALIDITY in the file.
  bool uidvalidity_changed() const { return uidvalidity_changed_; }

  // Append with keywords (AppendDraft::commit and copy_to use it).
  Result<uint32_t> append_with(std::string_view bytes, MessageFlags flags, const std::vector<std::string>& keywords,
                               int64_t internal_date_s);
  // Append of a message already quoted and ended (MboxQuoter) in a spool
  // file of size bytes (the draft's).
  Result<uint32_t> append_spooled(int spool_fd, uint64_t size, MessageFlags flags,
                                  const std::vector<std::string>& keywords, int64_t internal_date_s);

 private:
  Result<uint32_t> append_entry(std::string_view body, int body_fd, uint64_t body_size, MessageFlags flags,
                                const std::vector<std::string>& keywords, int64_t internal_date_s);
  struct Stamp {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = -1;
    int64_t mtime_ns = 0;
    bool operator==(const Stamp&) const = default;
  };
  MboxMailbox() = default;
  Status ensure_open(bool create);
  Result<Stamp> stamp() const;
  Result<MboxLock> lock_write();
  Status parse_if_changed();
  // Under the write lock: the index current, every message numbered.
  Status sync_locked();
  Status rewrite_from(uint64_t from, const std::vector<uint32_t>& drop);
  const MboxEntry* entry(uint32_t uid) const;
  MboxEntry* entry_mut(uint32_t uid);
  MessageInfo* find_mut(uint32_t uid);
  MessageInfo info_of(const MboxEntry& e) const;
  std::vector<std::string> folder_keywords() const;
  Result<std::string> read_range(uint64_t from, uint64_t to);
  Status changed_here();

  std::string path_, name_;
  UniqueFd fd_;  // invalid while the file does not exist
  MboxIndex index_;
  // (uid, index in index_.entries), sorted: UIDs need not ascend in file
  // order (a message another program put in the middle gets the next one).
  std::vector<std::pair<uint32_t, size_t>> by_uid_;
  void index_uids();
  std::optional<Stamp> parsed_;  // the file as index_ describes it
  std::vector<MessageInfo> messages_;
  uint32_t uidvalidity_ = 0, uidnext_ = 1;
  uint64_t modseq_ = 1;
  int64_t mtime_s_ = 0;
  bool uidvalidity_changed_ = false;
};

}  // namespace tern::store
