// Implementation of post_batched and BatchedTask (see batched_post.h): an
// Asio service per execution context holds that loop's queue.
#include "io/batched_post.h"

#include <asio/execution_context.hpp>
#include <asio/post.hpp>
#include <asio/query.hpp>
#include <mutex>
#include <vector>

#include "base/burst.h"

namespace tern::io::detail {

class BatchService : public asio::execution_context::service {
 public:
  struct Item {
    std::function<void()> handler;      // or
    std::shared_ptr<BatchedTask> task;  // (a copy of a pointer: no allocation)
  };
  static asio::execution_context::id id;
  explicit BatchService(asio::execution_context& ctx) : asio::execution_context::service(ctx) {}

  static BatchService& of(const asio::any_io_executor& ex) {
    return asio::use_service<BatchService>(asio::query(ex, asio::execution::context));
  }

  void add(const asio::any_io_executor& ex, Item item) {
    {
      std::lock_guard lock(mu_);
      pending_.push_back(std::move(item));
      if (posted_) return;
      posted_ = true;
    }
    // The service lives as long as its context; a handler the context drops
    // unrun at shutdown only held a reference. In a burst, the post waits
    // for its end: the loop then wakes once for all of it.
    auto post = [this, ex] { asio::post(ex, [this] { run(); }); };
    if (!base::Burst::defer(this, post)) post();
  }

 private:
  void shutdown() override {
    std::lock_guard lock(mu_);
    pending_.clear();
  }

  void run() {
    {
      std::lock_guard lock(mu_);
      running_.swap(pending_);  // the two keep their capacity: no allocation once warm
      posted_ = false;
    }
    for (auto& item : running_) {
      if (item.task) {
        item.task->queued_ = false;  // before it runs: a change told meanwhile queues it again
        item.task->run();
      } else {
        item.handler();
      }
    }
    running_.clear();
  }

  std::mutex mu_;
  std::vector<Item> pending_;
  std::vector<Item> running_;  // only on the loop's thread
  bool posted_ = false;
};

asio::execution_context::id BatchService::id;

}  // namespace tern::io::detail

namespace tern::io {

void post_batched(const asio::any_io_executor& ex, std::function<void()> handler) {
  detail::BatchService::of(ex).add(ex, {std::move(handler), nullptr});
}

void BatchedTask::schedule() {
  if (queued_.exchange(true)) return;  // queued already, not yet run
  detail::BatchService::of(ex_).add(ex_, {nullptr, shared_from_this()});
}

}  // namespace tern::io
