// Implementation of io::accept_loop (see accept_loop.h).
#include "io/accept_loop.h"

#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "base/log.h"

namespace tern::io {

asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acc, std::function<bool()> stopping,
                                  std::function<void(asio::ip::tcp::socket)> on_accept, const char* what,
                                  std::function<bool()> full) {
  while (!stopping()) {
    asio::error_code ec;
    if (full && full()) {
      asio::steady_timer t(acc.get_executor(), std::chrono::milliseconds(50));
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    asio::ip::tcp::socket sock = co_await acc.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (stopping()) break;
    if (ec) {
      if (ec == asio::error::operation_aborted) break;
      log::warn("{}accept: {}; pausing for a second", what, ec.message());
      asio::steady_timer t(acc.get_executor(), std::chrono::seconds(1));
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    on_accept(std::move(sock));
  }
}

}  // namespace tern::io
