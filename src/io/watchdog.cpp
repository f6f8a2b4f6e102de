// Implementation of the per-connection Watchdog (see watchdog.h).
#include "io/watchdog.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

namespace tern::io {

void Watchdog::start() { asio::co_spawn(timer_.get_executor(), run(shared_from_this()), asio::detached); }

asio::awaitable<void> Watchdog::run(std::shared_ptr<Watchdog> self) {
  while (!stopped_) {
    timer_.expires_at(deadline_);
    asio::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) break;
    if (std::chrono::steady_clock::now() >= deadline_) {
      fired_ = true;
      stream_->cancel();
      break;
    }
  }
}

}  // namespace tern::io
