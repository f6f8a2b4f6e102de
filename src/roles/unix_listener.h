// UnixListener: a listening Unix stream socket at a path under
// queue_directory/public/ and its accept loop, which runs one coroutine per
// connection. The control socket and the submission socket use it.
#pragma once

#include <sys/types.h>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"

namespace tern::roles {

class UnixListener {
 public:
  using Handler = std::function<asio::awaitable<void>(asio::local::stream_protocol::socket)>;
  explicit UnixListener(asio::io_context& ctx) : ctx_(ctx) {}
  // Replaces whatever is at path (unlink does not follow a link), binds,
  // sets mode and starts accepting.
  Status start(const std::string& path, mode_t mode, int backlog, Handler handler);
  // Stops accepting and removes the socket; running handlers finish.
  void stop();

 private:
  asio::awaitable<void> accept_loop();
  asio::io_context& ctx_;
  std::string path_;
  Handler handler_;
  std::unique_ptr<asio::local::stream_protocol::acceptor> acceptor_;
};

}  // namespace tern::roles
