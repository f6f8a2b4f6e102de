// Implementation of the shutdown deadline (see shutdown_guard.h).
#include "roles/shutdown_guard.h"

#include <pthread.h>
#include <unistd.h>

#include "base/log.h"

namespace tern::roles {

ShutdownGuard::ShutdownGuard(Clock::duration timeout, std::function<void()> cut_short)
    : cut_short_(std::move(cut_short)) {
  auto now = Clock::now();
  // Killed commands and ended waits need a moment to unwind before the
  // deadline: one second, or half the timeout when that is shorter.
  auto grace = std::min<Clock::duration>(std::chrono::seconds(1), timeout / 2);
  deadline_ = now + timeout;
  cut_at_ = deadline_ - grace;
  thread_ = std::thread([this] {
    ::pthread_setname_np(::pthread_self(), "tern-shutdown");
    run();
  });
}

ShutdownGuard::~ShutdownGuard() {
  {
    std::lock_guard lock(mu_);
    finished_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ShutdownGuard::run() {
  std::unique_lock lock(mu_);
  if (cv_.wait_until(lock, cut_at_, [&] { return finished_; })) return;
  lock.unlock();
  log::warn("shutdown_timeout nearly reached: stopping the deliveries still running (they will be retried)");
  cut_short_();
  lock.lock();
  if (cv_.wait_until(lock, deadline_, [&] { return finished_; })) return;
  log::error("shutdown_timeout reached with work still running; exiting now");
  ::_exit(0);
}

}  // namespace tern::roles
