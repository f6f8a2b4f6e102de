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

#include "base/log.h"

namespace tern::store {

namespace {

// A Maildir folder changes by names appearing in and leaving new/ and cur/
// (delivery's rename or link, a flag change's rename, an expunge's unlink).
constexpr uint32_t kFolderEvents = IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ONLYDIR;
// An mbox changes by being written.
constexpr uint32_t kFileEvents = IN_CLOSE_WRITE | IN_MODIFY;

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
  reader_ = std::thread([this] {
    ::pthread_setname_np(::pthread_self(), "tern-inotify");
    run();
  });
  return true;
}

bool FolderInotify::watch_path_locked(const std::string& key, const std::string& path, uint32_t mask) {
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
  w.keys.push_back(key);
  wds_of_key_[key].push_back(wd);
  return true;
}

bool FolderInotify::add(const std::string& key) {
  std::lock_guard lock(mu_);
  if (auto it = wds_of_key_.find(key); it != wds_of_key_.end()) {
    // A second add of the key: count it, so that remove() pairs up.
    it->second.push_back(-1);
    return true;
  }
  struct stat st;
  if (key.empty() || key[0] != '/' || ::stat(key.c_str(), &st) != 0) return false;
  if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) return false;
  if (!start_locked()) return false;
  bool any = false;
  if (S_ISDIR(st.st_mode)) {
    for (const char* sub : {"/new", "/cur"}) any |= watch_path_locked(key, key + sub, kFolderEvents);
  } else {
    any = watch_path_locked(key, key, kFileEvents);
  }
  return any;
}

void FolderInotify::remove(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = wds_of_key_.find(key);
  if (it == wds_of_key_.end()) return;
  // The extra adds were recorded as -1 at the end.
  if (!it->second.empty() && it->second.back() == -1) {
    it->second.pop_back();
    return;
  }
  for (int wd : it->second) {
    auto w = watched_.find(wd);
    if (w == watched_.end()) continue;  // the kernel dropped it (IN_IGNORED)
    if (auto k = std::find(w->second.keys.begin(), w->second.keys.end(), key); k != w->second.keys.end())
      w->second.keys.erase(k);
    if (w->second.keys.empty()) {
      watched_.erase(w);
      ::inotify_rm_watch(fd_, wd);
    }
  }
  wds_of_key_.erase(it);
}

size_t FolderInotify::watch_count() const {
  std::lock_guard lock(mu_);
  return watched_.size();
}

void FolderInotify::rearm_locked(int dead_wd, Watched gone) {
  for (const auto& key : gone.keys) {
    auto it = wds_of_key_.find(key);
    if (it == wds_of_key_.end()) continue;
    if (auto d = std::find(it->second.begin(), it->second.end(), dead_wd); d != it->second.end()) it->second.erase(d);
    // Only a file comes back under its name; a folder's new/ or cur/ gone
    // means the folder went.
    if (gone.mask == kFileEvents) {
      // Keep the -1 markers of extra adds at the end.
      std::vector<int> extra;
      while (!it->second.empty() && it->second.back() == -1) {
        extra.push_back(-1);
        it->second.pop_back();
      }
      watch_path_locked(key, gone.path, gone.mask);
      it = wds_of_key_.find(key);
      it->second.insert(it->second.end(), extra.begin(), extra.end());
    }
  }
}

void FolderInotify::run() {
  alignas(struct inotify_event) char buf[16384];
  std::vector<std::string> keys;
  for (;;) {
    struct pollfd p[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents != 0) return;
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) continue;  // EAGAIN after a spurious wake-up
    keys.clear();
    {
      std::lock_guard lock(mu_);
      for (ssize_t off = 0; off + static_cast<ssize_t>(sizeof(struct inotify_event)) <= n;) {
        const auto* ev = reinterpret_cast<const struct inotify_event*>(buf + off);
        off += static_cast<ssize_t>(sizeof(struct inotify_event) + ev->len);
        if (ev->mask & IN_Q_OVERFLOW) {  // events were lost: everything may have changed
          for (const auto& [key, wds] : wds_of_key_) keys.push_back(key);
          continue;
        }
        auto it = watched_.find(ev->wd);
        if (it == watched_.end()) continue;
        keys.insert(keys.end(), it->second.keys.begin(), it->second.keys.end());
        // The directory or file went away, and its watch with it.
        if (ev->mask & IN_IGNORED) {
          Watched gone = std::move(it->second);
          watched_.erase(it);
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
