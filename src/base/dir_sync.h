// DirSyncGroup: group commit for directory fsyncs. Many threads delivering
// into the same Maildir each need new/ fsynced before they may cross a
// recipient off; one fsync that starts after a thread's rename covers that
// thread, so concurrent deliveries share fsyncs instead of queueing one
// each. An fsync error is reported to every thread the round covered.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "base/result.h"

namespace tern {

class DirSyncGroup {
 public:
  // Returns once an fsync of dir that began after this call has finished.
  Status sync(const std::string& dir);

 private:
  struct State {
    uint64_t requested = 0;  // requests numbered from 1
    uint64_t covered = 0;    // every request <= covered is durable (or failed)
    bool running = false;
    int waiters = 0;
    Status last = ok_status();
  };
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, State> dirs_;
};

}  // namespace tern
