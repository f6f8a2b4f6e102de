// mbox delivery: check and open the mailbox without following links, lock
// it (mbox_lock.h), append one entry (mbox_format.cpp), fsync, unlock. A
// failed write or fsync truncates the file back to its size before the
// append, so readers never see half a message (RELIABILITY.md #39).
//
// SECURITY: writes a user's mailbox as that user. Refuses a mailbox that is a
// symlink, not a regular file, or has more than one hard link (else a user
// could link their mailbox to a file they cannot write and have us append
// to it), and checks the opened file is the one that was checked.
#include "store/mbox.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>

#include "base/fd.h"
#include "base/fs.h"
#include "base/log.h"
#include "store/mbox_lock.h"

namespace tern::store {
namespace {

constexpr int kOpenAttempts = 3;

Error refuse(const std::string& path, std::string_view why) {
  log::warn("refusing mbox delivery to {}: {}", path, why);
  return Error::temp(fmt::format("mailbox {} {}", path, why));
}

Status check_mailbox(const std::string& path, const struct stat& st, std::optional<uid_t> owner) {
  if (S_ISLNK(st.st_mode)) return refuse(path, "is a symlink");
  if (!S_ISREG(st.st_mode)) return refuse(path, "is not a regular file");
  if (st.st_nlink > 1) return refuse(path, fmt::format("has {} hard links", static_cast<unsigned long>(st.st_nlink)));
  if (owner && st.st_uid != *owner)
    return refuse(path, fmt::format("is owned by uid {}, not by the recipient (uid {})", static_cast<unsigned long>(st.st_uid),
                                    static_cast<unsigned long>(*owner)));
  return ok_status();
}

// The mailbox, open read-write for appending (read, to see whether it ends
// in a newline), created 0600 if missing and allowed.
Result<UniqueFd> open_mailbox(const std::string& path, bool create, std::optional<uid_t> owner) {
  for (int attempt = 0; attempt < kOpenAttempts; ++attempt) {
    struct stat lst;
    if (::lstat(path.c_str(), &lst) != 0) {
      if (errno != ENOENT) return fs::errno_error("lstat", path, errno);
      if (!create) return Error::temp(fmt::format("mailbox {} does not exist", path));
      UniqueFd fd(::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!fd.valid()) {
        if (errno == EEXIST) continue;  // created meanwhile: check it like any other
        return fs::errno_error("create", path, errno);
      }
      if (Status st = fs::fsync_dir(fs::dirname(path)); !st) return st.error();
      return fd;
    }
    if (Status st = check_mailbox(path, lst, owner); !st) return st.error();
    // O_NONBLOCK: a FIFO swapped in after the lstat must not hang us.
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno == ENOENT) continue;
      if (errno == ELOOP) return refuse(path, "is a symlink");
      return fs::errno_error("open", path, errno);
    }
    struct stat fst;
    if (::fstat(fd.get(), &fst) != 0) return fs::errno_error("fstat", path, errno);
    if (fst.st_dev != lst.st_dev || fst.st_ino != lst.st_ino) return refuse(path, "changed while being opened");
    if (Status st = check_mailbox(path, fst, owner); !st) return st.error();
    return fd;
  }
  return Error::temp(fmt::format("mailbox {} keeps changing while being opened", path));
}

// True if the file is non-empty and its last byte is not a newline (a
// previous writer left a partial line): the entry must then start with one.
bool lacks_final_newline(int fd, off_t size) {
  char c = '\n';
  return size > 0 && ::pread(fd, &c, 1, size - 1) == 1 && c != '\n';
}

Status append(int fd, const std::string& path, std::string_view entry, off_t size_before) {
  Status st = fs::write_all(fd, entry, path);
  if (st) st = fs::fsync_fd(fd, path);
  if (st) return st;
  if (::ftruncate(fd, size_before) != 0 || ::fsync(fd) != 0)
    log::error("mailbox {}: could not remove a failed append ({}); it may end in a partial message", path,
               strerror(errno));
  return st;
}

}  // namespace

Status mbox_deliver(const std::string& path, std::string_view sender, std::time_t arrival, std::string_view prefix,
                    std::string_view message, const MboxOptions& opt) {
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(opt.lock_timeout_s > 0 ? opt.lock_timeout_s : 0);
  auto fd = open_mailbox(path, opt.create, opt.owner);
  if (!fd) return fd.error();
  auto lock = MboxLock::acquire(path, fd->get(), deadline);
  if (!lock) return lock.error();

  // Under the lock: the size to roll back to, and the checks again, since
  // the file may have changed while we waited.
  struct stat st;
  if (::fstat(fd->get(), &st) != 0) return fs::errno_error("fstat", path, errno);
  if (Status s = check_mailbox(path, st, opt.owner); !s) return s;

  std::string entry = mbox_entry(sender, arrival, prefix, message);
  if (lacks_final_newline(fd->get(), st.st_size)) entry.insert(0, "\n\n");
  if (opt.size_limit > 0 && static_cast<uint64_t>(st.st_size) + entry.size() > opt.size_limit)
    return Error::with_dsn("5.2.2", fmt::format("mailbox {} full: {} + {} bytes exceed mailbox_size_limit {}", path,
                                                static_cast<uint64_t>(st.st_size), entry.size(), opt.size_limit));
  // Remembered in the dot-lock before the first byte is written, so a
  // delivery killed mid-append is undone by the next one (mbox_lock.h).
  if (Status s = lock->record_append(st.st_dev, st.st_ino, static_cast<uint64_t>(st.st_size),
                                     static_cast<uint64_t>(st.st_size) + entry.size());
      !s)
    return s;
  Status s = append(fd->get(), path, entry, st.st_size);
  lock->release();
  return s;
}

}  // namespace tern::store
