// SteadyClock's timer (see clock.h): an asio::steady_timer.
#include "io/clock.h"

#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

namespace tern::io {

namespace {

class SteadyTimer final : public Clock::Timer {
 public:
  explicit SteadyTimer(asio::any_io_executor ex) : timer_(std::move(ex)) {}
  asio::awaitable<void> wait_until(Clock::time_point at, asio::error_code& ec) override {
    timer_.expires_at(at);
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  void cancel() override { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
};

}  // namespace

std::unique_ptr<Clock::Timer> SteadyClock::make_timer(asio::any_io_executor ex) {
  return std::make_unique<SteadyTimer>(std::move(ex));
}

}  // namespace tern::io
