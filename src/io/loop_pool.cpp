// LoopPool (see loop_pool.h).
#include "io/loop_pool.h"

#include <asio/steady_timer.hpp>
#include <pthread.h>

#include "base/log.h"

namespace tern::io {

LoopPool::LoopPool(size_t threads, std::string name) {
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
    threads_.emplace_back([ctx = loop.get(), name] {
      pthread_setname_np(pthread_self(), name.c_str());
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
