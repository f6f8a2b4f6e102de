// ShutdownGuard: the deadline of a shutdown, kept by a thread of its own so
// that no wait elsewhere (a commit, a slow command, the local delivery
// process) can make the daemon outlive shutdown_timeout after SIGTERM.
//
// Shortly before the deadline (the grace below) it calls cut_short, which
// kills the commands still running and ends the waits on the local
// delivery process; those deliveries are deferred and redone after the
// restart. At the deadline, if the daemon has still not finished, it logs
// and exits the process at once. Destroying the guard ends it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace tern::roles {

class ShutdownGuard {
 public:
  using Clock = std::chrono::steady_clock;
  ShutdownGuard(Clock::duration timeout, std::function<void()> cut_short);
  ~ShutdownGuard();
  // When sessions and deliveries are cut short.
  Clock::time_point cut_short_at() const { return cut_at_; }

 private:
  void run();
  Clock::time_point cut_at_, deadline_;
  std::function<void()> cut_short_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool finished_ = false;
  std::thread thread_;
};

}  // namespace tern::roles
