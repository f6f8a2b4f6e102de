// post_batched: run a small handler on an event loop, from any thread, with
// one wakeup of the loop for many handlers. One delivery tells thousands of
// IDLE sessions at once (store/change_hub.h), from the thread that made the
// change or read it from inotify; an asio::post per session to a loop that
// sleeps in epoll_wait interrupts it each time (an epoll_ctl on the loop's
// eventfd, then a context switch), and the loop, woken for one handler,
// sleeps again before the next arrives. Here handlers for one loop queue up
// and the first one queued since the loop last ran them posts; the rest only
// append. Within a base::Burst on the posting thread, that post waits for
// the burst's end, so the loop wakes once for the whole burst. The loop
// runs the handlers in the order they came, on its own thread.
//
// BatchedTask is the same for a handler queued again and again (an IDLE
// session's "look again"): made once, on its loop, it is queued with no
// allocation, so the telling thread allocates nothing that the loops then
// free (with a hundred loops, those frees contend for the teller's malloc
// arena); queued again before it ran, it runs once.
//
// The executor must be an io_context's (one thread per loop, as
// io/loop_pool.h makes them): the handlers of one post run one after the
// other on that thread.
#pragma once

#include <asio/any_io_executor.hpp>
#include <atomic>
#include <functional>
#include <memory>

namespace tern::io {

void post_batched(const asio::any_io_executor& ex, std::function<void()> handler);

namespace detail {
class BatchService;
}

class BatchedTask : public std::enable_shared_from_this<BatchedTask> {
 public:
  explicit BatchedTask(asio::any_io_executor ex) : ex_(std::move(ex)) {}
  virtual ~BatchedTask() = default;
  BatchedTask(const BatchedTask&) = delete;
  BatchedTask& operator=(const BatchedTask&) = delete;
  // From any thread: run() on the loop soon (once, however often called
  // before it runs). The task lives at least until then.
  void schedule();

 protected:
  virtual void run() = 0;

 private:
  friend class detail::BatchService;
  asio::any_io_executor ex_;
  std::atomic<bool> queued_{false};
};

}  // namespace tern::io
