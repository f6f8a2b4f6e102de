// Link-made dotlocks (see dotlock_link.h): the process's holder files, one
// per folder, and the try itself.
#include "store/dotlock_link.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "base/fd.h"
#include "base/fs.h"

namespace tern::store {
namespace {

// Most holders a process keeps (each an open descriptor); past it the
// least recently used goes.
constexpr size_t kMaxHolders = 64;

struct Holder {
  std::string dir_path;
  std::string name;             // in the folder's tmp/
  std::shared_ptr<UniqueFd> fd;  // open, so that what is linked is surely ours
  ino_t ino = 0;
};

class Holders {
 public:
  static Holders& process() {
    static Holders table;
    return table;
  }

  // A forked child leaves its parent's holders alone: they say the parent's pid.
  ~Holders() {
    if (pid_ != ::getpid()) return;
    for (const Holder& h : lru_) remove(h);
  }

  // The holder of the folder, made (and written) if the process has none.
  // ok with ino 0: no holder can be made there.
  Result<Holder> get(int dir_fd, const std::string& dir_path, std::string_view content) {
    {
      std::lock_guard<std::mutex> g(mu_);
      if (pid_ != ::getpid()) {  // forked: the holders are the parent's
        lru_.clear();
        by_dir_.clear();
        pid_ = ::getpid();
      }
      auto it = by_dir_.find(dir_path);
      if (it != by_dir_.end()) {
        lru_.splice(lru_.end(), lru_, it->second);
        return *it->second;
      }
    }
    Holder h{dir_path, fmt::format("tern-lock.P{}Q{}", static_cast<long>(::getpid()), ++made_), nullptr, 0};
    const std::string rel = "tmp/" + h.name;
    auto fd = std::make_shared<UniqueFd>(
        ::openat(dir_fd, rel.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd->valid()) {
      if (errno == ENOENT || errno == ENOTDIR || errno == EACCES || errno == EPERM) return Holder{};
      return fs::errno_error("create lock holder", fs::join(dir_path, rel), errno);
    }
    struct stat st;
    if (Status w = fs::write_all(fd->get(), content, fs::join(dir_path, rel)); !w || ::fstat(fd->get(), &st) != 0) {
      ::unlinkat(dir_fd, rel.c_str(), 0);
      return w ? fs::errno_error("fstat", fs::join(dir_path, rel), errno) : w.error();
    }
    h.fd = std::move(fd);
    h.ino = st.st_ino;
    std::lock_guard<std::mutex> g(mu_);
    lru_.push_back(h);
    by_dir_[dir_path] = std::prev(lru_.end());
    if (lru_.size() > kMaxHolders) {
      const Holder& old = lru_.front();
      remove(old);
      by_dir_.erase(old.dir_path);
      lru_.pop_front();
    }
    return h;
  }

  // The holder went (a tmp/ cleaner, the folder replaced): made afresh next time.
  void drop(const std::string& dir_path) {
    std::lock_guard<std::mutex> g(mu_);
    auto it = by_dir_.find(dir_path);
    if (it == by_dir_.end()) return;
    lru_.erase(it->second);
    by_dir_.erase(it);
  }

 private:
  // Its name, if it still names it.
  static void remove(const Holder& h) {
    const std::string path = fs::join(fs::join(h.dir_path, "tmp"), h.name);
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0 && st.st_ino == h.ino) ::unlink(path.c_str());
  }

  std::mutex mu_;
  std::list<Holder> lru_;  // least recently used first
  std::unordered_map<std::string, std::list<Holder>::iterator> by_dir_;
  std::atomic<unsigned long> made_{0};
  pid_t pid_ = ::getpid();
};

// The old way, for a folder without a usable tmp/.
Result<bool> try_create_dotlock(int dir_fd, const std::string& dir_path, const char* lock_name,
                                std::string_view content, ino_t* ino) {
  const std::string path = fs::join(dir_path, lock_name);
  UniqueFd fd(::openat(dir_fd, lock_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid() && errno == EEXIST) return false;
  if (!fd.valid()) return fs::errno_error("create lock", path, errno);
  struct stat st;
  if (Status w = fs::write_all(fd.get(), content, path); !w || ::fstat(fd.get(), &st) != 0) {
    Error e = w ? fs::errno_error("fstat", path, errno) : w.error();
    ::unlinkat(dir_fd, lock_name, 0);
    return e;
  }
  *ino = st.st_ino;
  return true;
}

}  // namespace

Result<bool> try_link_dotlock(int dir_fd, const std::string& dir_path, const char* lock_name,
                              std::string_view content, ino_t* ino) {
  Holders& holders = Holders::process();
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto h = holders.get(dir_fd, dir_path, content);
    if (!h) return h.error();
    if (!h->fd) break;
    // Its age must be now: a lock older than two minutes is taken as stale.
    // Linked by descriptor, so that what becomes the lock is our file even
    // if another took its name in tmp/.
    if (::futimens(h->fd->get(), nullptr) == 0) {
      const std::string proc = fmt::format("/proc/self/fd/{}", h->fd->get());
      if (::linkat(AT_FDCWD, proc.c_str(), dir_fd, lock_name, AT_SYMLINK_FOLLOW) == 0) {
        *ino = h->ino;
        return true;
      }
      if (errno == EEXIST) return false;
      struct stat st;
      // Still there, yet not linked (EPERM, EMLINK, no /proc...): create instead.
      if (errno != ENOENT || (::fstat(h->fd->get(), &st) == 0 && st.st_nlink > 0)) break;
    }
    // Removed (a tmp/ cleaner, the folder replaced): a new one.
    holders.drop(dir_path);
  }
  return try_create_dotlock(dir_fd, dir_path, lock_name, content, ino);
}

}  // namespace tern::store
