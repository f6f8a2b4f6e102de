// Implementation of FakeClock (see fake_clock.h). A waiting FakeTimer
// suspends on an asio::steady_timer set to never expire, which the clock
// cancels when the fake time comes (due_ tells that from a real cancel).
#include "io/fake_clock.h"

#include <asio/error.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>

namespace tern::io {

class FakeClock::FakeTimer final : public Clock::Timer {
 public:
  FakeTimer(FakeClock& clock, asio::any_io_executor ex) : clock_(clock), signal_(std::move(ex)) {}
  ~FakeTimer() override { unregister(); }

  asio::awaitable<void> wait_until(time_point at, asio::error_code& ec) override {
    ec = {};
    if (at <= clock_.now_) co_return;
    at_ = at;
    due_ = false;
    if (at != time_point::max()) clock_.waiters_.push_back(this);
    signal_.expires_at(time_point::max());
    co_await signal_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    unregister();
    ec = due_ ? asio::error_code{} : asio::error_code(asio::error::operation_aborted);
  }
  void cancel() override { signal_.cancel(); }
  // The fake time has come: complete the wait normally.
  void wake() {
    due_ = true;
    signal_.cancel();
  }
  time_point at() const { return at_; }

 private:
  void unregister() { std::erase(clock_.waiters_, this); }
  FakeClock& clock_;
  asio::steady_timer signal_;
  time_point at_{};
  bool due_ = false;
};

std::unique_ptr<Clock::Timer> FakeClock::make_timer(asio::any_io_executor ex) {
  return std::make_unique<FakeTimer>(*this, std::move(ex));
}

void FakeClock::wake_due() {
  // Wake in the order the waits began; take each out before waking it.
  for (size_t i = 0; i < waiters_.size();) {
    FakeTimer* t = waiters_[i];
    if (t->at() <= now_) {
      waiters_.erase(waiters_.begin() + static_cast<std::ptrdiff_t>(i));
      t->wake();
    } else {
      ++i;
    }
  }
}

void FakeClock::advance(duration d) {
  now_ += d;
  wake_due();
}

bool FakeClock::advance_to_next() {
  if (waiters_.empty()) return false;
  auto earliest = std::min_element(waiters_.begin(), waiters_.end(),
                                   [](const FakeTimer* a, const FakeTimer* b) { return a->at() < b->at(); });
  now_ = std::max(now_, (*earliest)->at());
  wake_due();
  return true;
}

}  // namespace tern::io
