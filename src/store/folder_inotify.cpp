// Implementation of FolderInotify (see folder_inotify.h).
#include "store/folder_inotify.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "base/log.h"

namespace tern::store {

namespace {

// A Maildir folder changes by names appearing in and leaving new/ and cur/
// (delivery's rename or link, a flag change's rename, an expunge's unlink).
constexpr uint32_t kFolderEvents = IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ONLYDIR;
// An mbox is written under its lock, and the writer closes it (or, for
// tern's sessions, unlocks and tells the hub) once done: the close is the
// moment to look. Each write (IN_MODIFY) would wake the watchers while the
// writer still holds the lock, and their loops would wait on it. A file
// renamed away (IN_MOVE_SELF) leaves its name to be watched again.
constexpr uint32_t kFileEvents = IN_CLOSE_WRITE | IN_MOVE_SELF;

}  // namespace

FolderInotify::FolderInotify(OnChange on_change) : on_change_(std::move(on_change)) {}

FolderInotify::~FolderInotify() {
  {
    std::lock_guard lock(mu_);
    if (stop_fd_ >= 0) {
      uint64_t one = 1;
      [[maybe_unused]] ssize_t n = ::write(stop_fd_, &one, sizeof one);
    }
  }
  if (reader_.joinable()) reader_.join();
  if (fd_ >= 0) ::close(fd_);
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

bool FolderInotify::start_locked() {
  if (fd_ >= 0) return true;
  int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd < 0) {
    if (!warned_) log::warn("inotify unavailable ({}): IMAP sessions find other processes' changes by polling",
                            std::strerror(errno));
    warned_ = true;
    return false;
  }
  int stop = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop < 0) {
    ::close(fd);
    return false;
  }
  fd_ = fd;
  stop_fd_ = stop;
  reading_ = true;
  reader_ = std::thread([this] {
    ::pthread_setname_np(::pthread_self(), "tern-inotify");
    run();
  });
  return true;
}

bool FolderInotify::watch_path_locked(const std::string& key, const std::string& path, uint32_t mask) {
  // The inode the watch is on, for covers(): stat before and after, and
  // trust it only if the path named the same one both times.
  struct stat before {}, after {};
  const bool before_ok = ::stat(path.c_str(), &before) == 0;
  int wd = ::inotify_add_watch(fd_, path.c_str(), mask);
  if (wd < 0) {
    if (errno == ENOSPC && !warned_) {
      log::warn("fs.inotify.max_user_watches reached: IMAP sessions find other processes' changes by polling");
      warned_ = true;
    }
    return false;
  }
  // The kernel hands back the same watch for a path watched already.
  auto& w = watched_[wd];
  w.path = path;
  w.mask = mask;
  if (before_ok && ::stat(path.c_str(), &after) == 0 && before.st_dev == after.st_dev &&
      before.st_ino == after.st_ino) {
    w.dev = after.st_dev;
    w.ino = after.st_ino;
  } else {
    w.dev = 0;
    w.ino = 0;
  }
  w.keys.push_back(key);
  keys_[key].wds.push_back(wd);
  return true;
}

void FolderInotify::drop_locked(const std::string& key, int wd) {
  auto w = watched_.find(wd);
  if (w == watched_.end()) return;
  if (auto k = std::find(w->second.keys.begin(), w->second.keys.end(), key); k != w->second.keys.end())
    w->second.keys.erase(k);
  if (w->second.keys.empty()) {
    watched_.erase(w);
    ::inotify_rm_watch(fd_, wd);
  }
}

bool FolderInotify::watch_key_locked(const std::string& key) {
  struct stat st;
  if (key.empty() || key[0] != '/' || ::stat(key.c_str(), &st) != 0) return false;
  if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) return false;
  if (!start_locked()) return false;
  auto& k = keys_[key];
  for (int wd : std::vector<int>(k.wds)) drop_locked(key, wd);
  k.wds.clear();
  k.wanted = S_ISDIR(st.st_mode) ? 2 : 1;
  if (S_ISDIR(st.st_mode)) {
    for (const char* sub : {"/new", "/cur"}) watch_path_locked(key, key + sub, kFolderEvents);
  } else {
    watch_path_locked(key, key, kFileEvents);
  }
  if (k.wds.size() == k.wanted) return true;
  // Half a folder watched would miss changes: none at all.
  for (int wd : std::vector<int>(k.wds)) drop_locked(key, wd);
  k.wds.clear();
  return false;
}

bool FolderInotify::add(const std::string& key) {
  std::lock_guard lock(mu_);
  if (auto it = keys_.find(key); it != keys_.end()) {
    ++it->second.adds;
    return it->second.wds.size() == it->second.wanted || watch_key_locked(key);
  }
  if (watch_key_locked(key)) return true;
  keys_.erase(key);
  return false;
}

void FolderInotify::retry(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = keys_.find(key);
  if (it != keys_.end() && it->second.wds.size() != it->second.wanted) watch_key_locked(key);
}

void FolderInotify::remove(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = keys_.find(key);
  if (it == keys_.end() || --it->second.adds > 0) return;
  for (int wd : it->second.wds) drop_locked(key, wd);
  keys_.erase(it);
}

bool FolderInotify::covers(const std::string& key, const std::string& path) const {
  struct stat now;
  if (::stat(path.c_str(), &now) != 0) return false;
  std::lock_guard lock(mu_);
  if (!reading_) return false;
  auto k = keys_.find(key);
  if (k == keys_.end() || k->second.wds.size() != k->second.wanted) return false;
  for (int wd : k->second.wds) {
    auto w = watched_.find(wd);
    if (w != watched_.end() && w->second.path == path)
      return w->second.ino != 0 && w->second.dev == now.st_dev && w->second.ino == now.st_ino;
  }
  return false;
}

size_t FolderInotify::watch_count() const {
  std::lock_guard lock(mu_);
  return watched_.size();
}

void FolderInotify::rearm_locked(int dead_wd, Watched gone) {
  for (const auto& key : gone.keys) {
    auto it = keys_.find(key);
    if (it == keys_.end()) continue;
    std::erase(it->second.wds, dead_wd);
    // Only a file comes back under its name; a folder's new/ or cur/ gone
    // means the folder went.
    if (gone.mask == kFileEvents) watch_path_locked(key, gone.path, gone.mask);
  }
}

void FolderInotify::run() {
  alignas(struct inotify_event) char buf[16384];
  std::vector<std::string> keys;
  for (;;) {
    struct pollfd p[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log::error("inotify reader stopped: poll: {}; other processes' changes are found by polling",
                 std::strerror(errno));
      std::lock_guard lock(mu_);
      reading_ = false;
      return;
    }
    if (p[1].revents != 0) return;
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) continue;  // EAGAIN after a spurious wake-up
    keys.clear();
    // A reader's move of a new message from new/ to cur/ with no flags
    // (NAME to NAME:2,) changes nothing a session shows: the message and its
    // UID are the same. Every session that looks at the folder makes that
    // move for the mail it finds, so telling of it would make each delivery
    // wake every watcher twice. Both halves of a rename come in one read.
    struct Move {
      uint32_t cookie;
      int from_wd, to_wd;
    };
    std::vector<Move> seen_moves;
    {
      struct From {
        int wd;
        std::string_view name;
      };
      std::unordered_map<uint32_t, From> from;
      for (ssize_t off = 0; off + static_cast<ssize_t>(sizeof(struct inotify_event)) <= n;) {
        const auto* ev = reinterpret_cast<const struct inotify_event*>(buf + off);
        off += static_cast<ssize_t>(sizeof(struct inotify_event) + ev->len);
        std::string_view name(ev->name, ev->len ? ::strnlen(ev->name, ev->len) : 0);
        if (ev->mask & IN_MOVED_FROM) from.emplace(ev->cookie, From{ev->wd, name});
        if (!(ev->mask & IN_MOVED_TO)) continue;
        auto f = from.find(ev->cookie);
        if (f != from.end() && f->second.name.find(':') == std::string_view::npos &&
            name.size() == f->second.name.size() + 3 && name.starts_with(f->second.name) && name.ends_with(":2,"))
          seen_moves.push_back({ev->cookie, f->second.wd, ev->wd});
      }
    }
    {
      std::lock_guard lock(mu_);
      // Only a move between one folder's new/ and its cur/.
      std::erase_if(seen_moves, [&](const Move& m) {
        auto f = watched_.find(m.from_wd), t = watched_.find(m.to_wd);
        if (f == watched_.end() || t == watched_.end()) return true;
        const std::string& a = f->second.path;
        const std::string& b = t->second.path;
        return !(a.ends_with("/new") && b.ends_with("/cur") && a.size() == b.size() &&
                 a.compare(0, a.size() - 4, b, 0, b.size() - 4) == 0);
      });
      for (ssize_t off = 0; off + static_cast<ssize_t>(sizeof(struct inotify_event)) <= n;) {
        const auto* ev = reinterpret_cast<const struct inotify_event*>(buf + off);
        off += static_cast<ssize_t>(sizeof(struct inotify_event) + ev->len);
        if (ev->mask & IN_Q_OVERFLOW) {  // events were lost: everything may have changed
          for (const auto& [key, k] : keys_) keys.push_back(key);
          continue;
        }
        auto it = watched_.find(ev->wd);
        if (it == watched_.end()) continue;
        const bool quiet_move = (ev->mask & (IN_MOVED_FROM | IN_MOVED_TO)) &&
                                std::any_of(seen_moves.begin(), seen_moves.end(),
                                            [&](const Move& m) { return m.cookie == ev->cookie; });
        if (!quiet_move) keys.insert(keys.end(), it->second.keys.begin(), it->second.keys.end());
        // The directory or file went away, and its watch with it; a file
        // renamed away is let go, and its name watched again.
        if (ev->mask & (IN_IGNORED | IN_MOVE_SELF)) {
          Watched gone = std::move(it->second);
          watched_.erase(it);
          if (!(ev->mask & IN_IGNORED)) ::inotify_rm_watch(fd_, ev->wd);
          rearm_locked(ev->wd, std::move(gone));
        }
      }
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (const auto& k : keys) on_change_(k);
  }
}

}  // namespace tern::store
