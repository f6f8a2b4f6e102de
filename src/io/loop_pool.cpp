// LoopPool (see loop_pool.h).
#include "io/loop_pool.h"

#include <asio/steady_timer.hpp>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "base/log.h"

namespace tern::io {
namespace {

// The calling thread's fair-scheduler slice (sched_setattr(2) with
// SCHED_OTHER: the kernel reads sched_runtime as the slice since 6.12, and
// allows 0.1 to 100 ms, unprivileged). glibc has no wrapper nor, in
// Debian 12's headers, a struct sched_attr that can sit beside <sched.h>.
void ask_for_slice(uint64_t slice_ns) {
  struct {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
    uint32_t util_min, util_max;
  } attr;
  std::memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;  // policy 0: SCHED_OTHER, nice 0
  attr.runtime = slice_ns;
  // Older kernels keep their default slice; nothing else changes either way.
  (void)::syscall(SYS_sched_setattr, 0, &attr, 0);
}

}  // namespace

LoopPool::LoopPool(size_t threads, std::string name, uint64_t slice_ns) {
  if (threads == 0) threads = 1;
  for (size_t i = 0; i < threads; ++i) {
    // One thread per loop: a session's handlers never run concurrently.
    loops_.push_back(std::make_unique<asio::io_context>(1));
    guards_.push_back(asio::make_work_guard(*loops_.back()));
    // Its reactor (an epoll, an eventfd and a timerfd) is made now, not at
    // its first session: the daemon's descriptors are counted from the start.
    asio::steady_timer warm(*loops_.back());
  }
  name.resize(std::min<size_t>(name.size(), 15));  // the kernel's limit
  for (auto& loop : loops_) {
    threads_.emplace_back([ctx = loop.get(), name, slice_ns] {
      pthread_setname_np(pthread_self(), name.c_str());
      if (slice_ns != 0) ask_for_slice(slice_ns);
      for (;;) {
        try {
          ctx->run();
          return;
        } catch (const std::exception& e) {
          // A handler that throws must not take the other sessions down.
          log::error("event loop {}: {}", name, e.what());
        }
      }
    });
  }
}

LoopPool::~LoopPool() {
  guards_.clear();
  for (auto& loop : loops_) loop->stop();
  for (auto& t : threads_) t.join();
  // The loops go now, and with them the handlers still queued on them.
  loops_.clear();
}

asio::io_context& LoopPool::next() { return *loops_[next_.fetch_add(1, std::memory_order_relaxed) % loops_.size()]; }

}  // namespace tern::io
