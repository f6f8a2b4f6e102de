// Implementation of directory fsync group commit (see dir_sync.h).
#include "base/dir_sync.h"

#include "base/fs.h"

namespace tern {

Status DirSyncGroup::sync(const std::string& dir) {
  std::unique_lock lock(mu_);
  State& s = dirs_[dir];
  uint64_t mine = ++s.requested;
  ++s.waiters;
  Status result = ok_status();
  for (;;) {
    if (s.covered >= mine) {
      result = s.last;
      break;
    }
    if (!s.running) {
      s.running = true;
      uint64_t covers = s.requested;  // everyone who asked before this fsync starts
      lock.unlock();
      Status st = fs::fsync_dir(dir);
      lock.lock();
      s.running = false;
      s.covered = covers;
      s.last = st;
      cv_.notify_all();
      continue;
    }
    cv_.wait(lock);
  }
  if (--s.waiters == 0 && !s.running) dirs_.erase(dir);
  return result;
}

}  // namespace tern
