// Listener addresses as main.cf writes them ("127.0.0.1:2525",
// "[::1]:25", "0.0.0.0:25") turned into bound, listening acceptors.
#pragma once

#include <asio/ip/tcp.hpp>
#include <string>

#include "base/result.h"

namespace tern::io {

Result<asio::ip::tcp::endpoint> parse_endpoint(const std::string& text);
// Binds with SO_REUSEADDR and listens; the error names the address.
Result<asio::ip::tcp::acceptor> open_listener(asio::io_context& ctx, const std::string& text);

}  // namespace tern::io
