// dovecot-uidlist on disk (see uidlist_file.h): the dotlock, the bounded
// read, the tmp + fsync + rename rewrite, and dovecot-uidvalidity.
#include "store/uidlist_file.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <charconv>
#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "base/fs.h"
#include "base/log.h"
#include "store/dotlock_link.h"

namespace tern::store {
namespace {

constexpr time_t kStaleLockSeconds = 120;  // Dovecot's MAILDIR_UIDLIST_LOCK_STALE_TIMEOUT
constexpr const char* kUidlistTmpName = "dovecot-uidlist.tmp";

const std::string& hostname() {
  static const std::string host = [] {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) buf[0] = '\0';
    return std::string(buf);
  }();
  return host;
}

// nullopt when the file does not exist.
Result<std::optional<std::string>> read_at(int dir_fd, const char* name, const std::string& path,
                                           size_t max_bytes) {
  UniqueFd fd(::openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid() && errno == ENOENT) return std::optional<std::string>();
  if (!fd.valid()) return fs::errno_error("open", path, errno);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fs::errno_error("read", path, errno);
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) return Error::perm(fmt::format("{}: too large", path));
    out.append(buf, static_cast<size_t>(n));
  }
  return std::optional<std::string>(std::move(out));
}

// A lock is stale when its holder on this host is gone, or when it has
// not been touched for kStaleLockSeconds (a holder on another host).
bool lock_is_stale(int dir_fd, const std::string& path, ino_t* ino) {
  struct stat st;
  if (::fstatat(dir_fd, kUidlistLockName, &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  *ino = st.st_ino;
  if (::time(nullptr) - st.st_mtime > kStaleLockSeconds) return true;
  auto text = read_at(dir_fd, kUidlistLockName, path, 512);
  if (!text || !*text) return false;
  std::string_view s = **text;
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  long pid = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + colon, pid);
  if (ec != std::errc() || end != s.data() + colon || pid <= 0) return false;
  std::string_view host = s.substr(colon + 1);
  while (!host.empty() && (host.back() == '\n' || host.back() == '\r')) host.remove_suffix(1);
  if (host != hostname()) return false;
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

}  // namespace

// The process's mutexes, one per folder path while some thread wants it.
struct UidlistLock::FolderMutex {
  std::string path;
  std::timed_mutex mu;
  int users = 0;  // threads holding or waiting; guarded by the table's lock
};

namespace {

class FolderMutexes {
 public:
  static FolderMutexes& process() {
    static FolderMutexes table;
    return table;
  }
  UidlistLock::FolderMutex* enter(const std::string& path) {
    std::lock_guard<std::mutex> g(mu_);
    auto& slot = table_[path];
    if (!slot) {
      slot = std::make_unique<UidlistLock::FolderMutex>();
      slot->path = path;
    }
    ++slot->users;
    return slot.get();
  }
  void leave(UidlistLock::FolderMutex* m) {
    std::lock_guard<std::mutex> g(mu_);
    if (--m->users == 0) table_.erase(m->path);
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<UidlistLock::FolderMutex>> table_;
};

}  // namespace

Result<UidlistLock> UidlistLock::acquire(int dir_fd, const std::string& dir_path, int timeout_ms) {
  const std::string path = fs::join(dir_path, kUidlistLockName);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  auto too_long = [&] {
    return Error::with_dsn("4.2.0", fmt::format("{}: locked by another process for too long", path));
  };
  FolderMutexes& mutexes = FolderMutexes::process();
  FolderMutex* held = mutexes.enter(dir_path);
  if (!held->mu.try_lock_until(deadline)) {
    mutexes.leave(held);
    return too_long();
  }
  auto give_up = [&](Error e) {
    held->mu.unlock();
    mutexes.leave(held);
    return e;
  };
  const std::string content = fmt::format("{}:{}", static_cast<long>(::getpid()), hostname());
  auto wait = std::chrono::microseconds(200);
  for (;;) {
    ino_t mine = 0;
    auto locked = try_link_dotlock(dir_fd, dir_path, kUidlistLockName, content, &mine);
    if (!locked) return give_up(locked.error());
    if (*locked) return UidlistLock(dir_fd, mine, held);
    ino_t ino = 0;
    if (lock_is_stale(dir_fd, path, &ino)) {
      // Remove it only if it is still the one judged stale.
      struct stat st;
      if (::fstatat(dir_fd, kUidlistLockName, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_ino == ino) {
        log::warn("breaking stale lock {}", path);
        ::unlinkat(dir_fd, kUidlistLockName, 0);
      }
      continue;
    }
    // Another process holds it: poll, as Dovecot does.
    if (std::chrono::steady_clock::now() >= deadline) return give_up(too_long());
    std::this_thread::sleep_for(wait);
    wait = std::min(wait * 2, std::chrono::microseconds(50000));
  }
}

UidlistLock::UidlistLock(UidlistLock&& o) noexcept
    : dir_fd_(std::exchange(o.dir_fd_, -1)), ino_(o.ino_), held_(std::exchange(o.held_, nullptr)) {}

UidlistLock::~UidlistLock() {
  if (dir_fd_ >= 0) {
    struct stat st;
    if (::fstatat(dir_fd_, kUidlistLockName, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_ino == ino_)
      ::unlinkat(dir_fd_, kUidlistLockName, 0);
  }
  if (held_) {
    held_->mu.unlock();
    FolderMutexes::process().leave(held_);
  }
}

Result<std::optional<Uidlist>> read_uidlist(int dir_fd, const std::string& dir_path) {
  const std::string path = fs::join(dir_path, kUidlistName);
  auto bytes = read_at(dir_fd, kUidlistName, path, kMaxUidlistBytes);
  if (!bytes) return bytes.error();
  if (!*bytes) return std::optional<Uidlist>();
  auto list = parse_uidlist(**bytes);
  if (!list) return Error::perm(fmt::format("{}: {}", path, list.error().detail));
  return std::optional<Uidlist>(std::move(*list));
}

Status write_uidlist(int dir_fd, const std::string& dir_path, Uidlist list) {
  if (list.guid.empty()) list.guid = new_mailbox_guid();
  const std::string tmp = fs::join(dir_path, kUidlistTmpName), path = fs::join(dir_path, kUidlistName);
  UniqueFd fd(::openat(dir_fd, kUidlistTmpName, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return fs::errno_error("create", tmp, errno);
  auto fail = [&](Status st) {
    ::unlinkat(dir_fd, kUidlistTmpName, 0);
    return st;
  };
  if (Status st = fs::write_all(fd.get(), format_uidlist(list), tmp); !st) return fail(st);
  if (Status st = fs::fsync_fd(fd.get(), tmp); !st) return fail(st);
  if (::renameat(dir_fd, kUidlistTmpName, dir_fd, kUidlistName) != 0)
    return fail(fs::errno_error("rename to", path, errno));
  return fs::fsync_fd(dir_fd, dir_path);
}

Status append_uidlist(int dir_fd, const std::string& dir_path, const std::vector<UidlistRecord>& records,
                      size_t from) {
  const std::string path = fs::join(dir_path, kUidlistName);
  UniqueFd fd(::openat(dir_fd, kUidlistName, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return fs::errno_error("open", path, errno);
  // One write: a reader racing it sees the new lines whole or a torn last
  // line, which it leaves out.
  if (Status st = fs::write_all(fd.get(), format_uidlist_records(records, from), path); !st) return st;
  if (::fdatasync(fd.get()) != 0) return fs::errno_error("fsync", path, errno);
  return ok_status();
}

uint32_t next_uidvalidity(const std::string& root_path) {
  // Two rebuilds in one second still differ, even where the file is unusable.
  static std::mutex mu;
  static uint32_t last = 0;
  std::lock_guard<std::mutex> hold(mu);
  uint32_t now = static_cast<uint32_t>(::time(nullptr));
  uint32_t stored = 0;
  const std::string path = fs::join(root_path, kUidvalidityName);
  if (auto text = fs::read_file(path, 64, false)) {
    std::string_view s = *text;
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
    std::from_chars(s.data(), s.data() + s.size(), stored, 16);
  }
  uint32_t next = std::max({now, stored + 1, last + 1});
  if (next == 0) next = 1;  // 2106, or a file holding ffffffff
  last = next;
  if (Status st = fs::write_file_atomic(path, fmt::format("{:08x}", next), 0600); !st)
    log::warn("cannot record UIDVALIDITY in {}: {}", path, st.error().detail);
  return next;
}

std::string new_mailbox_guid() {
  unsigned char bytes[16] = {};
  size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  std::string out;
  for (unsigned char b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

}  // namespace tern::store
