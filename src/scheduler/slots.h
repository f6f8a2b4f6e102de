// DeliverySlots: the cap on deliveries running at the same time
// (delivery_concurrency_limit), shared by the queue runners, which wait for
// a slot, and the delivery at acceptance, which takes one only if it is
// free and otherwise leaves the message to the queue (a commit never
// waits for a delivery).
#pragma once

#include <condition_variable>
#include <mutex>

namespace tern::scheduler {

class DeliverySlots {
 public:
  explicit DeliverySlots(int n) : free_(n < 1 ? 1 : n) {}
  bool try_acquire() {
    std::lock_guard lock(mu_);
    if (free_ == 0 || cancelled_) return false;
    --free_;
    return true;
  }
  // Waits for a slot; false once cancel() was called (shutdown).
  bool acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return free_ > 0 || cancelled_; });
    if (cancelled_) return false;
    --free_;
    return true;
  }
  void release() {
    {
      std::lock_guard lock(mu_);
      ++free_;
    }
    cv_.notify_one();
  }
  void cancel() {
    {
      std::lock_guard lock(mu_);
      cancelled_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int free_;
  bool cancelled_ = false;
};

}  // namespace tern::scheduler
