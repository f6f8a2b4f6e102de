// Implementation of directory fsync group commit (see dir_sync.h for the
// contract). One fsync runs per directory at a time; a caller whose sync()
// began while one was running waits for the next, which it may run itself.
#include "base/dir_sync.h"

#include <utility>

#include "base/fs.h"

namespace tern {

DirSyncGroup::DirSyncGroup() : DirSyncGroup([](const std::string& dir) { return fs::fsync_dir(dir); }) {}

DirSyncGroup::DirSyncGroup(FsyncFn fsync) : fsync_(std::move(fsync)) {}

DirSyncGroup::Ticket::Ticket(Ticket&& o) noexcept
    : group_(std::exchange(o.group_, nullptr)), dir_(std::move(o.dir_)), failures_seen_(o.failures_seen_) {}

DirSyncGroup::Ticket::~Ticket() {
  if (group_) group_->release(dir_);
}

DirSyncGroup::Ticket DirSyncGroup::enter(const std::string& dir) {
  std::lock_guard lock(mu_);
  State& s = dirs_[dir];
  ++s.tickets;
  return Ticket(this, dir, s.failures);
}

void DirSyncGroup::release(const std::string& dir) {
  std::lock_guard lock(mu_);
  auto it = dirs_.find(dir);
  if (it != dirs_.end() && --it->second.tickets == 0) dirs_.erase(it);
}

Status DirSyncGroup::sync(const Ticket& t) {
  std::unique_lock lock(mu_);
  State& s = dirs_[t.dir_];  // kept alive by t
  const uint64_t mine = ++s.requested;
  while (s.covered < mine) {
    if (s.running) {
      cv_.wait(lock);
      continue;
    }
    s.running = true;
    const uint64_t covers = s.requested;  // everyone who asked before this fsync starts
    lock.unlock();
    Status st = fsync_(t.dir_);
    lock.lock();
    s.running = false;
    s.covered = covers;
    if (!st) {
      ++s.failures;
      s.last_failure = st.error();
    }
    cv_.notify_all();
  }
  // Conservative: a failure after our covering fsync also counts (it may
  // have been a retry of the same dirty state); the cost is a retry.
  if (s.failures != t.failures_seen_) return s.last_failure;
  return ok_status();
}

}  // namespace tern
