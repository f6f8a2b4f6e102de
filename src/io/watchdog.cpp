// Implementation of the per-connection Watchdog (see watchdog.h).
#include "io/watchdog.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

namespace tern::io {

void Watchdog::start() { asio::co_spawn(stream_->get_executor(), run(shared_from_this()), asio::detached); }

asio::awaitable<void> Watchdog::run(std::shared_ptr<Watchdog> self) {
  while (!stopped_) {
    asio::error_code ec;
    co_await timer_->wait_until(deadline_, ec);
    if (stopped_) break;
    if (clock_.now() >= deadline_) {
      fired_ = true;
      by_deadline_ = true;
      stream_->cancel();
      break;
    }
  }
}

}  // namespace tern::io
