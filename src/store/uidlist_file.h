// The dovecot-uidlist file of one Maildir folder on disk: its lock, read
// and crash-safe rewrite, and the next UIDVALIDITY for a folder whose index
// is new or lost.
//
// Lock: Dovecot's dotlock convention, "dovecot-uidlist.lock" beside the
// index, created O_EXCL and holding "<pid>:<hostname>"; a lock whose pid is
// gone (same host) or that is older than two minutes is stale and broken,
// as Dovecot does, so a tern or Dovecot killed while holding it blocks no
// one for long. Every change to the index (new UIDs) happens under it;
// readers need no lock, since a rewrite replaces the file by rename.
// Rewrite: "dovecot-uidlist.tmp" (under the lock), fsync, rename over the
// index, fsync the folder: after a crash the old or the new index is
// there, never half of one, and next_uid never moves backwards.
// UIDVALIDITY: Dovecot's "dovecot-uidvalidity" file at the account's root
// (8 hex digits): the next value is the larger of that value + 1 and the
// current time, so a rebuilt index never repeats an old UIDVALIDITY.
//
// SECURITY: every file is opened relative to the folder's descriptor with
// O_NOFOLLOW; the index read is bounded (kMaxUidlistBytes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/fd.h"
#include "base/result.h"
#include "store/uidlist.h"

namespace tern::store {

constexpr const char* kUidlistName = "dovecot-uidlist";
constexpr const char* kUidlistLockName = "dovecot-uidlist.lock";
constexpr const char* kUidvalidityName = "dovecot-uidvalidity";

// Dovecot's dotlock on dovecot-uidlist. Threads of this process first
// queue on a mutex of the folder's own (by its path), so that they are
// woken the moment the holder lets go, rather than poll the lock file
// with growing sleeps (a thread asleep in that poll holds up every other
// session on its event loop too); the file then mostly meets only other
// processes (Dovecot, the delivery process).
class UidlistLock {
 public:
  // Waits up to timeout_ms for the lock (temporary error 4.2.0 after it).
  static Result<UidlistLock> acquire(int dir_fd, const std::string& dir_path, int timeout_ms = 10000);
  UidlistLock(UidlistLock&& o) noexcept;
  UidlistLock& operator=(UidlistLock&&) = delete;
  UidlistLock(const UidlistLock&) = delete;
  ~UidlistLock();

  struct FolderMutex;  // uidlist_file.cpp

 private:
  UidlistLock(int dir_fd, ino_t ino, FolderMutex* held) : dir_fd_(dir_fd), ino_(ino), held_(held) {}
  int dir_fd_ = -1;             // borrowed: the folder outlives its lock
  ino_t ino_ = 0;               // our lock file, so we never remove another's
  FolderMutex* held_ = nullptr;  // this process's mutex of the folder, locked by us
};

// The index of the folder open at dir_fd: nullopt when there is none; a
// permanent error when it is damaged (the caller rebuilds); temporary for
// I/O errors.
Result<std::optional<Uidlist>> read_uidlist(int dir_fd, const std::string& dir_path);
// Replaces the index (the caller holds the lock). Fills in a GUID if empty.
Status write_uidlist(int dir_fd, const std::string& dir_path, Uidlist list);
// Appends records [from, end) to the file in place and fdatasyncs it: one
// flush instead of write_uidlist's two, for the common change (new
// messages). The caller holds the lock, has just read the file (it ends in
// '\n': not torn_tail) and gives UIDs above every record in it.
Status append_uidlist(int dir_fd, const std::string& dir_path, const std::vector<UidlistRecord>& records,
                      size_t from);
// The next UIDVALIDITY for a folder of the account whose root Maildir is
// root_path (see above); falls back to the time if the file cannot be used.
uint32_t next_uidvalidity(const std::string& root_path);
// 32 random hex digits (a mailbox GUID).
std::string new_mailbox_guid();

}  // namespace tern::store
