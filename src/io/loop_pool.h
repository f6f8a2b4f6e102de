// LoopPool: a few event loops, each an io_context run by a thread of its
// own, for sessions that are independent of each other (IMAP's). One loop
// serves every session of a kind in turn, so a session blocked in the
// kernel (an fsync for APPEND or EXPUNGE, a directory read on a slow disk)
// stalls all of them, and only one core works; with a pool, sessions are
// spread over the loops and both cores of a small machine serve clients.
//
// Sessions on a pool loop touch shared state only through thread-safe
// objects (the session host's locked tables, the change hub, the caches)
// and get results from worker threads with io::await_callback, which posts
// back to the session's own loop.
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace tern::io {

class LoopPool {
 public:
  // threads >= 1; each thread is named `name` (as ps and top show it).
  // slice_ns, when not 0, is the time slice each thread asks of the
  // kernel's fair scheduler (Linux 6.12 and later; ignored before): a short
  // one lets a session woken by its client's command run sooner on a busy
  // machine, since a thread with a shorter slice gets an earlier deadline
  // and the running one yields at the end of its own short slice.
  LoopPool(size_t threads, std::string name, uint64_t slice_ns = 0);
  // Stops the loops and joins their threads; what is still queued on them
  // (sessions cut short at shutdown) is destroyed with them.
  ~LoopPool();
  LoopPool(const LoopPool&) = delete;
  LoopPool& operator=(const LoopPool&) = delete;
  // The loop for the next session (round robin).
  asio::io_context& next();
  size_t size() const { return loops_.size(); }

 private:
  using Guard = asio::executor_work_guard<asio::io_context::executor_type>;
  std::vector<std::unique_ptr<asio::io_context>> loops_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> next_{0};
};

}  // namespace tern::io
