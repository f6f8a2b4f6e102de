// tern-modseq on disk (see modseq_file.h): flock, incremental read, append,
// compaction.
#include "store/modseq_file.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "base/fs.h"
#include "base/log.h"

namespace tern::store {
namespace {

constexpr const char* kModseqTmpName = "tern-modseq.tmp";

uint64_t now_us() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return uint64_t(ts.tv_sec) * 1000000 + uint64_t(ts.tv_nsec) / 1000;
}

}  // namespace

Status ModseqFile::open_current(int dir_fd, off_t* size) {
  const std::string path = fs::join(dir_, kModseqName);
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (!fd_.valid()) {
      fd_.reset(::openat(dir_fd, kModseqName, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600));
      if (!fd_.valid() && errno == ELOOP) {  // a symlink planted there: replaced
        ::unlinkat(dir_fd, kModseqName, 0);
        continue;
      }
      if (!fd_.valid()) return fs::errno_error("open", path, errno);
    }
    int rc;
    do rc = ::flock(fd_.get(), LOCK_EX);
    while (rc != 0 && errno == EINTR);
    if (rc != 0) return fs::errno_error("lock", path, errno);
    locked_ = true;
    struct stat mine, named;
    if (::fstat(fd_.get(), &mine) != 0) return fs::errno_error("stat", path, errno);
    if (::fstatat(dir_fd, kModseqName, &named, AT_SYMLINK_NOFOLLOW) == 0 && named.st_ino == mine.st_ino &&
        named.st_dev == mine.st_dev && S_ISREG(mine.st_mode)) {
      if (mine.st_ino != ino_ || mine.st_size < read_to_) {  // replaced or truncated: read from the start
        ino_ = mine.st_ino;
        read_to_ = 0;
        header_read_ = false;
        table_ = {};
      }
      *size = mine.st_size;  // under the lock: only we can make it grow now
      return ok_status();
    }
    // Replaced (compacted) or removed since we opened it: take the new one.
    // Something planted there that is no regular file is removed first.
    if (!S_ISREG(mine.st_mode)) ::unlinkat(dir_fd, kModseqName, 0);
    unlock();
    fd_.reset();
  }
  return Error::temp(fmt::format("{}: keeps being replaced", path));
}

Status ModseqFile::lock(int dir_fd) {
  off_t size = 0;
  if (Status st = open_current(dir_fd, &size); !st) return st;
  damage_.reset();
  if (Status st = catch_up(size); !st) {
    if (st.error().is_temporary()) {
      unlock();
      return st;
    }
    damage_ = st.error().detail;
  }
  return ok_status();
}

Status ModseqFile::adopt(int dir_fd, uint32_t uidvalidity) {
  if (damage_) {
    std::string why = std::move(*damage_);
    damage_.reset();
    return start_afresh(dir_fd, uidvalidity, why);
  }
  if (!header_read_) return start_afresh(dir_fd, uidvalidity, "");
  if (table_.uidvalidity != uidvalidity) return start_afresh(dir_fd, uidvalidity, "another UIDVALIDITY");
  return ok_status();
}

void ModseqFile::unlock() {
  if (locked_ && fd_.valid()) ::flock(fd_.get(), LOCK_UN);
  locked_ = false;
  pending_.clear();
}

Status ModseqFile::catch_up(off_t size) {
  const std::string path = fs::join(dir_, kModseqName);
  if (static_cast<size_t>(size) > kMaxModseqFile) return Error::perm("too large");
  if (size == read_to_) return ok_status();
  std::string bytes(static_cast<size_t>(size - read_to_), '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    ssize_t n = ::pread(fd_.get(), bytes.data() + got, bytes.size() - got, read_to_ + static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fs::errno_error("read", path, errno);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  bytes.resize(got);
  auto r = apply_modseq_lines(table_, bytes, header_read_);
  if (!r) return r.error();
  header_read_ = r->header_read;
  read_to_ += static_cast<off_t>(r->used);
  // A torn line under our lock was left by a writer that died: it is cut.
  if (r->used < bytes.size()) {
    if (::ftruncate(fd_.get(), read_to_) != 0) return fs::errno_error("truncate", path, errno);
  }
  return ok_status();
}

// A missing, damaged or foreign file: a new one whose floor is above every
// mod-sequence anyone was told (the clock), so every message gets a new one
// and every client re-reads what it has.
Status ModseqFile::start_afresh(int dir_fd, uint32_t uidvalidity, std::string_view why) {
  if (!why.empty()) log::warn("{}: starting {} afresh: {}", dir_, kModseqName, why);
  const uint64_t floor = std::max(table_.highest, now_us());
  table_ = {};
  table_.uidvalidity = uidvalidity;
  table_.floor = table_.highest = floor;
  header_read_ = true;
  return replace(dir_fd, format_modseq_header(uidvalidity, floor));
}

// Writes bytes as the new file and takes its lock (we hold the old one, so
// no one appends to the old file meanwhile; whoever locks it next sees it
// was replaced and moves to the new one).
Status ModseqFile::replace(int dir_fd, const std::string& bytes) {
  const std::string path = fs::join(dir_, kModseqName);
  ::unlinkat(dir_fd, kModseqTmpName, 0);  // under the lock: any such file is stale
  UniqueFd tmp(::openat(dir_fd, kModseqTmpName, O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!tmp.valid()) return fs::errno_error("create", path + ".tmp", errno);
  if (Status st = fs::write_all(tmp.get(), bytes, path); !st) return st;
  if (::flock(tmp.get(), LOCK_EX) != 0) return fs::errno_error("lock", path, errno);
  if (::renameat(dir_fd, kModseqTmpName, dir_fd, kModseqName) != 0) return fs::errno_error("rename to", path, errno);
  unlock();
  fd_ = std::move(tmp);
  locked_ = true;
  struct stat st;
  if (::fstat(fd_.get(), &st) != 0) return fs::errno_error("stat", path, errno);
  ino_ = st.st_ino;
  read_to_ = st.st_size;
  return ok_status();
}

uint64_t ModseqFile::next() {
  table_.highest = std::max(table_.highest + 1, now_us());
  return table_.highest;
}

void ModseqFile::record_live(uint32_t uid, uint64_t modseq, std::string_view sig, uint64_t added) {
  pending_ += format_modseq_live(uid, modseq, sig, added);
}

void ModseqFile::record_expunged(uint32_t uid, uint64_t modseq) { pending_ += format_modseq_expunged(uid, modseq); }

Status ModseqFile::commit(int dir_fd) {
  if (pending_.empty()) return ok_status();
  const std::string path = fs::join(dir_, kModseqName);
  std::string bytes = std::move(pending_);
  pending_.clear();
  if (Status st = fs::write_all(fd_.get(), bytes, path); !st) {
    // Half a write would end in a torn line, which the next locker cuts.
    (void)::ftruncate(fd_.get(), read_to_);
    return st;
  }
  auto r = apply_modseq_lines(table_, bytes, header_read_);
  if (!r) return Error::temp(fmt::format("{}: {}", path, r.error().detail));  // our own lines: a bug
  read_to_ += static_cast<off_t>(bytes.size());
  const size_t needed = table_.live.size() + std::min(table_.expunged.size(), kKeptExpunges);
  if (table_.lines > 2 * needed + 1024) return replace(dir_fd, format_modseq_table(table_, kKeptExpunges));
  return ok_status();
}

}  // namespace tern::store
