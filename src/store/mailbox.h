// The mailbox interface the POP3 and IMAP sessions use, in storage words
// only (no sequence numbers, no protocol replies): a MailStore is one
// account's set of folders, a Mailbox one open folder with its messages in
// UID order. The Maildir implementation is maildir_mailbox.h.
//
// Contract:
// - UIDs are stable across sessions and restarts and never reused; UIDVALIDITY
//   changes only when the folder's index was lost or damaged.
// - A Mailbox shows a snapshot: messages() changes only in refresh() and in
//   this object's own append/expunge/set_flags. refresh() picks up what other
//   sessions and deliveries did and says what appeared and what vanished, so
//   a session can send EXISTS/EXPUNGE/FETCH FLAGS (or keep POP3's view).
// - append() returns only after the message and its UID are on stable storage;
//   the message enters messages() at the next refresh(), which reports it
//   among the appeared (so a session announces it like anyone else's).
// - read, set_flags, expunge and copy_to name a UID of the snapshot; they
//   follow a message another session renamed meanwhile.
// - modseq() is a change counter of this object (it grows with every change
//   it makes or sees) until enable_modseqs(); from then on it is the
//   folder's persistent HIGHESTMODSEQ (RFC 7162) and every message of the
//   snapshot carries the mod-sequence of its last change
//   (MessageInfo::modseq), kept by the store for all sessions.
// - Keywords (IMAP's user flags) are Dovecot's: at most 26 per folder
//   (keywords.h); set_keywords refuses a 27th with a permanent error (5.5.4,
//   as it does a name that is no keyword).
// - Not thread-safe: one Mailbox per session. Many Mailbox objects, in one
//   process or many, may share a folder.
//
// Folder names are in the on-disk form (Dovecot's: modified UTF-7), "."
// between hierarchy levels; "INBOX" (any case) is the account's Maildir
// itself. The IMAP layer converts from what clients send.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/fd.h"
#include "base/result.h"
#include "store/change_hub.h"
#include "store/maildir_filename.h"

namespace tern::store {

using MessageFlags = MaildirFlags;  // kFlagSeen etc. (maildir_filename.h)

struct MessageInfo {
  uint32_t uid = 0;
  uint64_t size_bytes = 0;       // the file's bytes (LF line ends as stored)
  uint64_t vsize_bytes = 0;      // with CRLF line ends (the ",W=" of the name); 0: not known yet (crlf_size)
  MessageFlags flags = 0;
  std::vector<std::string> keywords;  // as named in the folder, e.g. "$Junk"
  int64_t internal_date_s = 0;   // the file's mtime, seconds since the epoch
  std::string path;              // the file now (changes when flags change)
  uint64_t modseq = 0;           // its last change (RFC 7162), once enable_modseqs(); else 0
  uint64_t first_modseq = 0;     // the one it was first given (QRESYNC: new to a client at an older one)
};

struct RefreshChanges {
  std::vector<uint32_t> appeared;       // new UIDs, ascending
  std::vector<uint32_t> vanished;       // expunged by someone else, ascending
  std::vector<uint32_t> flags_changed;  // still there, other flags or keywords, ascending
  bool empty() const { return appeared.empty() && vanished.empty() && flags_changed.empty(); }
};

// The error of store_flags when the message changed after unchanged_since
// (RFC 7162 UNCHANGEDSINCE): nothing was changed.
inline Error modified_error() { return Error::with_dsn("4.2.5", "changed since the given mod-sequence"); }
inline bool is_modified(const Error& e) { return e.dsn == "4.2.5"; }
constexpr uint64_t kAnyModseq = UINT64_MAX;

// A message being appended whose bytes arrive in pieces (IMAP's APPEND
// literal, up to message_size_limit): write() puts each piece in the
// folder's tmp/ at once, so the message is never held whole in memory;
// commit() makes it durable and gives its UID, as append() does. A draft
// destroyed without a successful commit() leaves nothing behind. The
// Mailbox that made it must outlive it.
class AppendDraft {
 public:
  virtual ~AppendDraft() = default;
  // The bytes as they are to be stored (the caller converts line ends).
  virtual Status write(std::string_view bytes) = 0;
  // internal_date_s 0: now. Once only. Keywords as set_keywords takes them;
  // one the folder has no room for fails the commit (5.5.4) and nothing
  // is stored.
  virtual Result<uint32_t> commit(MessageFlags flags, const std::vector<std::string>& keywords,
                                  int64_t internal_date_s) = 0;
};

class Mailbox {
 public:
  virtual ~Mailbox() = default;
  virtual const std::string& name() const = 0;
  virtual uint32_t uidvalidity() const = 0;
  virtual uint32_t uidnext() const = 0;
  virtual uint64_t modseq() const = 0;
  // Ascending UID order.
  virtual const std::vector<MessageInfo>& messages() const = 0;
  // nullptr when uid is not in the snapshot.
  virtual const MessageInfo* find(uint32_t uid) const = 0;
  // The message's file, open for reading (a regular file, not a symlink),
  // for sessions that stream or map large messages; it stays readable even
  // if the message is renamed or expunged afterwards. Permanent error 5.2.0
  // if it was expunged meanwhile.
  virtual Result<UniqueFd> open_message(uint32_t uid) = 0;
  // The message's bytes (open_message, read whole).
  virtual Result<std::string> read(uint32_t uid) = 0;
  // Its size with CRLF line ends, as POP3 and IMAP count it (RFC822.SIZE):
  // vsize_bytes when the file name says it, else counted from the file
  // once and kept in the snapshot.
  virtual Result<uint64_t> crlf_size(uint32_t uid) = 0;
  // Adds then removes flags; the new flags are returned.
  virtual Result<MessageFlags> set_flags(uint32_t uid, MessageFlags add, MessageFlags remove) = 0;
  // Adds then removes keywords (names as keyword_ok allows, any case);
  // returns the message's keywords after.
  virtual Result<std::vector<std::string>> set_keywords(uint32_t uid, const std::vector<std::string>& add,
                                                        const std::vector<std::string>& remove) = 0;
  // STORE's change in one step: flags, then keywords. With unchanged_since
  // (RFC 7162 UNCHANGEDSINCE), refused with modified_error() and nothing
  // changed when the message's mod-sequence is above it; the check and the
  // change are one step for every session of this store. The message as it
  // is after (valid until the next change to the snapshot).
  virtual Result<const MessageInfo*> store_flags(uint32_t uid, MessageFlags add, MessageFlags remove,
                                                 const std::vector<std::string>& kw_add,
                                                 const std::vector<std::string>& kw_remove,
                                                 uint64_t unchanged_since = kAnyModseq) {
    if (unchanged_since != kAnyModseq) {
      const MessageInfo* m = find(uid);
      if (m && m->modseq > unchanged_since) return modified_error();
    }
    if (auto r = set_flags(uid, add, remove); !r) return r.error();
    if (!kw_add.empty() || !kw_remove.empty())
      if (auto r = set_keywords(uid, kw_add, kw_remove); !r) return r.error();
    const MessageInfo* m = find(uid);
    if (!m) return Error::with_dsn("5.2.0", "the message was expunged");
    return m;
  }
  // CONDSTORE and QRESYNC (RFC 7162): from now on refresh() keeps
  // mod-sequences (see modseq()); the next refresh() reads the whole folder.
  // false when the store cannot keep them (IMAP then says NOMODSEQ).
  virtual bool enable_modseqs() { return false; }
  virtual bool modseqs_enabled() const { return false; }
  // The UIDs expunged after mod-sequence `since`, ascending; nullopt when
  // the store no longer knows that far back (the caller then names every
  // UID that is not there: RFC 7162 3.2.5.1 allows saying more).
  virtual std::optional<std::vector<uint32_t>> expunged_since(uint64_t since) const {
    (void)since;
    return std::nullopt;
  }
  // Every keyword defined in the folder (IMAP's FLAGS and PERMANENTFLAGS).
  virtual std::vector<std::string> keywords() const = 0;
  // Removes the messages (already gone is not an error), durable together
  // (Maildir: one fsync of cur/ for all of them) before it returns.
  virtual Status expunge_all(const std::vector<uint32_t>& uids) = 0;
  Status expunge(uint32_t uid) { return expunge_all({uid}); }
  // Stores a message (internal_date_s 0: now); returns its UID, durable.
  virtual Result<uint32_t> append(std::string_view bytes, MessageFlags flags, int64_t internal_date_s) = 0;
  // The same, for bytes that come later (AppendDraft).
  virtual Result<std::unique_ptr<AppendDraft>> begin_append() = 0;
  // Copies one message into another open folder; returns the UID it got there.
  virtual Result<uint32_t> copy_to(uint32_t uid, Mailbox& dest) = 0;
  virtual Result<RefreshChanges> refresh() = 0;
  // refresh() for a watcher told of a change (watch()) when the change hub's
  // generation was `told` (ChangeHub::generation(), read by the callback):
  // a look at the folder that another mailbox of the process took since may
  // serve instead of a new one (store/shared_listings.h). Never for a
  // refresh a client asked for, which must see every change made before.
  virtual Result<RefreshChanges> refresh_after(uint64_t told) {
    (void)told;
    return refresh();
  }
  // A name for this message's bytes that no other message shares while the
  // process lives (Maildir: the folder, the file's base name and size), for
  // caches of what was parsed from them (imap/server/message_cache.h); ""
  // when the uid is not in the snapshot or the store cannot promise one.
  virtual std::string message_key(uint32_t uid) const {
    (void)uid;
    return {};
  }
  // Closes what the folder holds open (directory handles) until its next
  // use, which opens it again; for a session about to wait long (IDLE), so
  // that thousands of idle sessions do not hold thousands of descriptors each.
  virtual void release_handles() {}
  // Calls cb whenever this process changes the folder (a delivery, another
  // session's append, expunge or flags: change_hub.h), on the thread that
  // made the change; cb must only post work elsewhere. Watching ends with
  // the returned object. Changes by other processes are not reported.
  [[nodiscard]] virtual std::unique_ptr<ChangeHub::Watch> watch(ChangeHub::Callback cb) = 0;
};

// Errors that say a message of the snapshot (or its whole folder) is gone:
// another session or process expunged it after the snapshot was taken, or
// removed the folder. A command naming several messages skips such a one,
// as RFC 2180 section 4 allows; the next refresh() reports it vanished.
inline bool is_gone(const Error& e) { return e.dsn == "5.2.0"; }

class MailStore {
 public:
  virtual ~MailStore() = default;
  // A permanent error 5.2.0 for a folder that does not exist or a bad name.
  virtual Result<std::unique_ptr<Mailbox>> open(std::string_view folder) = 0;
  // Every folder, "INBOX" first, the rest sorted.
  virtual Result<std::vector<std::string>> list() = 0;
  virtual Status create(std::string_view folder) = 0;
  // Deletes a folder and its messages (not its children); INBOX cannot be.
  virtual Status remove(std::string_view folder) = 0;
  // Renames a folder and its children (INBOX cannot be renamed yet).
  virtual Status rename(std::string_view from, std::string_view to) = 0;
  // Pushes from this process (store/change_hub.h): a change in one folder's
  // messages (null when it cannot be opened), or in the list of folders
  // (null when the store does not tell). Callbacks as ChangeHub's: they
  // run on the changing thread and must only post elsewhere.
  [[nodiscard]] virtual std::unique_ptr<ChangeHub::Watch> watch(std::string_view folder, ChangeHub::Callback cb) {
    auto box = open(folder);
    return box ? (*box)->watch(std::move(cb)) : nullptr;
  }
  [[nodiscard]] virtual std::unique_ptr<ChangeHub::Watch> watch_names(ChangeHub::Callback) { return nullptr; }
  // The renames (from, to) made in this process after *cursor, oldest
  // first, and *cursor moved past them (RenameLog::kFromNow: a start);
  // none when the store does not tell (store/rename_log.h).
  virtual std::vector<std::pair<std::string, std::string>> renames_since(uint64_t* cursor) {
    *cursor = 0;
    return {};
  }
};

}  // namespace tern::store
