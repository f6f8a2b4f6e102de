// Implementation of listener address parsing and binding (see endpoint.h).
#include "io/endpoint.h"

#include <asio/ip/address.hpp>
#include <asio/ip/v6_only.hpp>
#include <fmt/format.h>

namespace tern::io {

Result<asio::ip::tcp::endpoint> parse_endpoint(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) return Error::perm(fmt::format("'{}': expected address:port", text));
  std::string host = text.substr(0, colon);
  std::string port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty() || host == "*") host = "0.0.0.0";
  int p = 0;
  for (char c : port) {
    if (c < '0' || c > '9' || p > 65535) return Error::perm(fmt::format("'{}': bad port", text));
    p = p * 10 + (c - '0');
  }
  if (port.empty() || p < 1 || p > 65535) return Error::perm(fmt::format("'{}': bad port", text));
  asio::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return Error::perm(fmt::format("'{}': bad address", text));
  return asio::ip::tcp::endpoint(addr, static_cast<unsigned short>(p));
}

Result<asio::ip::tcp::acceptor> open_listener(asio::io_context& ctx, const std::string& text) {
  auto ep = parse_endpoint(text);
  if (!ep) return ep.error();
  asio::ip::tcp::acceptor acc(ctx);
  asio::error_code ec;
  acc.open(ep->protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && ep->address().is_v6()) acc.set_option(asio::ip::v6_only(true), ec);
  if (!ec) acc.bind(*ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Error::perm(fmt::format("cannot listen on {}: {}", text, ec.message()));
  return acc;
}

}  // namespace tern::io
