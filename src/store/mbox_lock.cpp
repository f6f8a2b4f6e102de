// The mbox dot-lock and fcntl lock (see mbox_lock.h).
//
// SECURITY: the dot-lock is created with O_EXCL|O_NOFOLLOW; a stale one is
// removed only if it is still the same file we judged stale, and ours only if
// it is still ours.
#include "store/mbox_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <optional>
#include <thread>
#include <utility>

#include "base/fs.h"
#include "base/log.h"
#include "store/mbox_journal.h"
#include "store/mbox_rewrite.h"

namespace tern::store {
namespace {

constexpr std::time_t kStaleLockAge = 300;
constexpr auto kFirstBackoff = std::chrono::milliseconds(2);
constexpr auto kMaxBackoff = std::chrono::milliseconds(100);  // a free lock is noticed quickly

// Sleeps before the next try; false if the deadline has passed.
bool wait_before_retry(MboxLock::Deadline deadline, std::chrono::milliseconds& backoff) {
  auto now = std::chrono::steady_clock::now();
  if (now >= deadline) return false;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
  std::this_thread::sleep_for(std::min(backoff, left + std::chrono::milliseconds(1)));
  backoff = std::min(backoff * 2, kMaxBackoff);
  return true;
}

// Removes lock_path if it is older than kStaleLockAge and still the file we
// looked at. True if the caller should try again at once.
bool remove_if_stale(const std::string& lock_path) {
  struct stat st;
  if (::lstat(lock_path.c_str(), &st) != 0) return errno == ENOENT;
  if (std::time(nullptr) - st.st_mtime <= kStaleLockAge) return false;
  struct stat again;
  if (::lstat(lock_path.c_str(), &again) != 0 || again.st_ino != st.st_ino || again.st_dev != st.st_dev ||
      again.st_mtime != st.st_mtime)
    return true;
  if (::unlink(lock_path.c_str()) != 0 && errno != ENOENT) return false;
  log::warn("removed stale mailbox lock {} (older than {} seconds)", lock_path, kStaleLockAge);
  return true;
}

// Removes lock_path if it holds a tern append record whose writer is dead.
// True if the caller should try again at once; *left gets the record when
// it describes an append the dead writer may not have finished.
bool take_over_dead_tern_lock(const std::string& lock_path, std::optional<AppendRecord>* left) {
  UniqueFd fd(::open(lock_path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  struct stat st;
  // SECURITY: acted on only if we could have written it: a regular file with
  // one link, owned by the uid we deliver as (the mailbox owner, or root).
  // Another user who can write the directory can block the mailbox with a
  // lock, but never have us truncate it.
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
      st.st_uid != ::geteuid())
    return false;
  char buf[600];
  ssize_t n = ::pread(fd.get(), buf, sizeof buf, 0);
  if (n <= 0) return false;
  auto rec = parse_record(std::string_view(buf, static_cast<size_t>(n)));
  if (!rec || !holder_is_gone(*rec)) return false;
  struct stat again;
  if (::lstat(lock_path.c_str(), &again) != 0 || again.st_ino != st.st_ino || again.st_dev != st.st_dev) return true;
  if (::unlink(lock_path.c_str()) != 0 && errno != ENOENT) return false;
  log::warn("removed mailbox lock {} left by a tern process that died (pid {})", lock_path, rec->pid);
  if (rec->has_append) *left = rec;
  return true;
}

// Truncates the partial append a dead writer left, if the mailbox we hold
// locked is the one it names and its size lies between the recorded sizes.
// A complete append (size == size_after) stays: at worst a duplicate after
// the redelivery, never a loss.
void undo_partial_append(int fd, const std::string& path, const AppendRecord& r) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return;
  auto size = static_cast<uint64_t>(st.st_size);
  if (st.st_dev != r.dev || st.st_ino != r.ino || size < r.size_before || size >= r.size_after) {
    if (size != r.size_after)
      log::warn("mailbox {}: changed since a delivery died in it ({} bytes, expected {}..{}); left as is", path,
                size, r.size_before, r.size_after);
    return;
  }
  if (::ftruncate(fd, static_cast<off_t>(r.size_before)) != 0 || ::fsync(fd) != 0) {
    log::error("mailbox {}: could not remove a partial delivery: {}", path, strerror(errno));
    return;
  }
  log::warn("mailbox {}: removed a partial delivery of {} bytes left by a process that died", path,
            size - r.size_before);
}

// Creates lock_path already holding our record, so that no one ever sees
// it empty (an empty lock left by a death between create and write would
// wait out the 5-minute rule): an unnamed O_TMPFILE written, then linked
// in (fails with EEXIST while the lock is held). Where the file system or
// /proc lacks that, O_EXCL then write. -1 with errno on failure.
int create_lock_with_record(const std::string& lock_path) {
  const std::string record = format_record(record_for_self());
  UniqueFd tmp(::open(fs::dirname(lock_path).c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600));
  if (!tmp.valid() && errno == EACCES) return -1;
  if (tmp.valid() && fs::write_all(tmp.get(), record, lock_path)) {
    std::string proc = fmt::format("/proc/self/fd/{}", tmp.get());
    if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, lock_path.c_str(), AT_SYMLINK_FOLLOW) == 0) return tmp.release();
    if (errno != ENOENT) return -1;  // ENOENT: no /proc; EEXIST: held
  }
  int fd = ::open(lock_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0) (void)fs::write_all(fd, record, lock_path);
  return fd;
}

// fd of the dot-lock we created, or an invalid fd if the directory is not
// writable and dot-locking is skipped.
Result<UniqueFd> take_dot_lock(const std::string& lock_path, MboxLock::Deadline deadline,
                               std::optional<AppendRecord>* left) {
  auto backoff = kFirstBackoff;
  for (;;) {
    int fd = create_lock_with_record(lock_path);
    if (fd >= 0) return UniqueFd(fd);
    int e = errno;
    if (e == EACCES) {
      log::debug("{}: directory not writable, mailbox not dot-locked", lock_path);
      return UniqueFd();
    }
    if (e == EINTR) continue;
    if (e != EEXIST) return fs::errno_error("create lock", lock_path, e);
    if (take_over_dead_tern_lock(lock_path, left) || remove_if_stale(lock_path)) continue;
    if (!wait_before_retry(deadline, backoff))
      return Error::temp(fmt::format("mailbox is locked: {} exists", lock_path));
  }
}

Status take_fcntl_lock(int fd, const std::string& path, MboxLock::Deadline deadline, short type = F_WRLCK) {
  auto backoff = kFirstBackoff;
  for (;;) {
    struct flock fl = {};
    fl.l_type = type;
    fl.l_whence = SEEK_SET;  // start 0, length 0: the whole file
    if (::fcntl(fd, F_OFD_SETLK, &fl) == 0) return ok_status();
    int e = errno;
    if (e == EINTR) continue;
    if (e != EAGAIN && e != EACCES) return fs::errno_error("lock", path, e);
    if (!wait_before_retry(deadline, backoff))
      return Error::temp(fmt::format("mailbox {} is locked by another process", path));
  }
}

}  // namespace

Result<MboxLock> MboxLock::acquire(const std::string& path, int fd, Deadline deadline) {
  MboxLock lock;
  std::string lock_path = path + ".lock";
  std::optional<AppendRecord> left;
  auto dot = take_dot_lock(lock_path, deadline, &left);
  if (!dot) return dot.error();
  if (dot->valid()) {
    lock.lock_path_ = std::move(lock_path);
    lock.lock_fd_ = std::move(*dot);
  }
  if (Status st = take_fcntl_lock(fd, path, deadline); !st) return st.error();  // ~MboxLock drops the dot-lock
  lock.fd_ = fd;
  // A rewrite (mbox_rewrite.h) a dead process left is completed first.
  if (Status st = mbox_recover_rewrite(path, fd); !st) return st.error();
  if (left) undo_partial_append(fd, path, *left);
  return lock;
}

Result<MboxLock> MboxLock::acquire_read(const std::string& path, int fd, Deadline deadline) {
  MboxLock lock;
  if (Status st = take_fcntl_lock(fd, path, deadline, F_RDLCK); !st) return st.error();
  lock.fd_ = fd;
  return lock;
}

Status MboxLock::record_append(uint64_t dev, uint64_t ino, uint64_t size_before, uint64_t size_after) {
  if (!lock_fd_.valid()) return ok_status();
  AppendRecord r = record_for_self();
  r.has_append = true;
  r.dev = dev;
  r.ino = ino;
  r.size_before = size_before;
  r.size_after = size_after;
  std::string text = format_record(r);
  if (::pwrite(lock_fd_.get(), text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
    return fs::errno_error("write lock", lock_path_, errno ? errno : EIO);
  if (::ftruncate(lock_fd_.get(), static_cast<off_t>(text.size())) != 0)
    return fs::errno_error("truncate lock", lock_path_, errno);
  if (::fdatasync(lock_fd_.get()) != 0) return fs::errno_error("fsync", lock_path_, errno);
  return fs::fsync_dir(fs::dirname(lock_path_));
}

MboxLock::MboxLock(MboxLock&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), lock_path_(std::exchange(o.lock_path_, {})), lock_fd_(std::move(o.lock_fd_)) {}

void MboxLock::release() {
  if (fd_ >= 0) {
    struct flock fl = {};
    fl.l_type = F_UNLCK;
    fl.l_whence = SEEK_SET;
    ::fcntl(fd_, F_OFD_SETLK, &fl);
    fd_ = -1;
  }
  if (!lock_path_.empty()) {
    // Remove the dot-lock only if it is still ours (not removed as stale
    // and re-created by someone else).
    struct stat mine, now;
    if (::fstat(lock_fd_.get(), &mine) == 0 && ::lstat(lock_path_.c_str(), &now) == 0 && mine.st_ino == now.st_ino &&
        mine.st_dev == now.st_dev)
      ::unlink(lock_path_.c_str());
    lock_path_.clear();
    lock_fd_.reset();
  }
}

}  // namespace tern::store
