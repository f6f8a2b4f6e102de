// Implementation of a Unix socket listener (see unix_listener.h).
#include "roles/unix_listener.h"

#include <sys/stat.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <fmt/format.h>

namespace tern::roles {

Status UnixListener::start(const std::string& path, mode_t mode, int backlog, Handler handler) {
  path_ = path;
  handler_ = std::move(handler);
  ::unlink(path_.c_str());
  asio::error_code ec;
  acceptor_ = std::make_unique<asio::local::stream_protocol::acceptor>(ctx_);
  acceptor_->open(asio::local::stream_protocol(), ec);
  if (!ec) acceptor_->bind(asio::local::stream_protocol::endpoint(path_), ec);
  if (!ec) acceptor_->listen(backlog, ec);
  if (ec) return Error::perm(fmt::format("cannot listen on {}: {}", path_, ec.message()));
  ::chmod(path_.c_str(), mode);
  asio::co_spawn(ctx_, accept_loop(), asio::detached);
  return ok_status();
}

void UnixListener::stop() {
  if (!acceptor_) return;
  asio::error_code ec;
  acceptor_->close(ec);
  ::unlink(path_.c_str());
}

asio::awaitable<void> UnixListener::accept_loop() {
  for (;;) {
    asio::error_code ec;
    auto sock = co_await acceptor_->async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor_->is_open()) co_return;
    if (ec) continue;
    asio::co_spawn(ctx_, handler_(std::move(sock)), asio::detached);
  }
}

}  // namespace tern::roles
