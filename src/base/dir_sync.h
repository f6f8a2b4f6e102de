// DirSyncGroup: group commit for directory fsyncs. Many threads delivering
// into the same Maildir (or committing into queue/active/) each need the
// directory fsynced before they may tell anyone the entry is safe; one
// fsync that starts after a thread's change covers that thread, so
// concurrent callers share fsyncs instead of queueing one each.
//
// The contract, after PostgreSQL's "fsyncgate" (2018): once an fsync of a
// directory fails, the kernel may have dropped the dirty state it failed to
// write, and a later fsync can return 0 without writing it. So
//  - a caller takes a Ticket BEFORE it links or renames its entry;
//  - sync(ticket) returns ok only if an fsync that STARTED after the call
//    finished successfully AND no fsync of that directory failed since the
//    ticket was taken (a failure that ends while an entry may already exist
//    makes that entry "not durable" for good: its caller gets the error and
//    must take the entry back and try again with a new ticket);
//  - entries made after a failure get a fresh ticket and are judged by
//    fsyncs that start after them: the directory does not stay failed.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "base/result.h"

namespace tern {

class DirSyncGroup {
 public:
  using FsyncFn = std::function<Status(const std::string& dir)>;
  DirSyncGroup();
  // fsync: how one directory is synced (fs::fsync_dir; tests inject faults).
  explicit DirSyncGroup(FsyncFn fsync);

  // Taken before the change to dir; move-only; must not outlive the group.
  class Ticket {
   public:
    Ticket(Ticket&& o) noexcept;
    Ticket& operator=(Ticket&&) = delete;
    Ticket(const Ticket&) = delete;
    ~Ticket();

   private:
    friend class DirSyncGroup;
    Ticket(DirSyncGroup* g, std::string dir, uint64_t failures_seen)
        : group_(g), dir_(std::move(dir)), failures_seen_(failures_seen) {}
    DirSyncGroup* group_;
    std::string dir_;
    uint64_t failures_seen_;  // the directory's failure count when taken
  };

  Ticket enter(const std::string& dir);
  // See the contract above. May be called once per ticket.
  Status sync(const Ticket& ticket);

 private:
  struct State {
    uint64_t requested = 0;  // sync() calls numbered from 1
    uint64_t covered = 0;    // every call <= covered has seen an fsync end
    uint64_t failures = 0;   // fsyncs of this directory that failed
    bool running = false;
    int tickets = 0;  // the state is kept while a ticket may still ask
    Error last_failure = Error::temp("");
  };
  void release(const std::string& dir);

  FsyncFn fsync_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, State> dirs_;
};

}  // namespace tern
