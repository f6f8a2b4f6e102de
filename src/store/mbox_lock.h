// Internal to store: the two locks other mbox readers take, held together.
// A dot-lock (PATH.lock created O_EXCL; one older than 5 minutes is stale and
// removed; skipped when the directory is not writable, as mutt does) and an
// fcntl write lock on the whole file (an open-file-description lock, so two
// threads of one process also exclude each other; it conflicts with classic
// fcntl locks of other programs). Both are retried with backoff until the
// deadline, then the delivery is deferred.
//
// tern's dot-lock holds an append record (mbox_journal.h): who holds it
// and, once record_append() is called, the mailbox size before and after
// the append. A dot-lock whose tern holder is dead is taken over at once,
// and a partial append it describes is truncated away under the locks
// before the new delivery appends (RELIABILITY.md #39). Likewise a rewrite
// a dead tern left (mbox_rewrite.h) is completed by whoever locks next.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "base/fd.h"
#include "base/result.h"

namespace tern::store {

class MboxLock {
 public:
  using Deadline = std::chrono::steady_clock::time_point;
  // fd: the mailbox, open for writing; it must outlive the lock.
  static Result<MboxLock> acquire(const std::string& path, int fd, Deadline deadline);
  // Only an fcntl read lock (as Dovecot's readers take by default): for
  // reading messages while no one rewrites the file. fd may be read-only.
  static Result<MboxLock> acquire_read(const std::string& path, int fd, Deadline deadline);

  MboxLock(MboxLock&& o) noexcept;
  MboxLock& operator=(MboxLock&&) = delete;
  MboxLock(const MboxLock&) = delete;
  ~MboxLock() { release(); }
  void release();
  // Durably notes (fdatasync of the lock file and its directory) that the
  // mailbox dev/ino grows from size_before to size_after. A no-op without
  // a dot-lock (directory not writable): that mailbox has no crash undo.
  Status record_append(uint64_t dev, uint64_t ino, uint64_t size_before, uint64_t size_after);

 private:
  MboxLock() = default;
  int fd_ = -1;            // mailbox fd holding the fcntl lock, -1 once released
  std::string lock_path_;  // the dot-lock we created, "" if none
  UniqueFd lock_fd_;       // open on it, to check we remove our own
};

}  // namespace tern::store
