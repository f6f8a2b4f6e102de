// Implementation of TcpStream and peer_of (see tcp_stream.h).
#include "io/tcp_stream.h"

#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <sys/socket.h>

#include "io/stream_ops.h"

namespace tern::io {

Peer peer_of(const asio::ip::tcp::socket& sock) {
  Peer p;
  asio::error_code ec;
  auto ep = sock.remote_endpoint(ec);
  if (ec) return p;
  auto addr = ep.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
  p.ip = addr.to_string();
  p.port = ep.port();
  return p;
}

TcpStream::TcpStream(asio::ip::tcp::socket sock) : sock_(std::move(sock)) {
  asio::error_code ec;
  sock_.set_option(asio::ip::tcp::no_delay(true), ec);
}

asio::awaitable<size_t> TcpStream::read_some(asio::mutable_buffer buf, asio::error_code& ec) {
  return read_some_of(sock_, buf, ec);
}

asio::awaitable<void> TcpStream::write(asio::const_buffer buf, asio::error_code& ec) {
  return write_all_of(sock_, buf, ec);
}

size_t TcpStream::try_write(asio::const_buffer buf, asio::error_code& ec) {
  ec = {};
  if (buf.size() == 0) return 0;
  // One send(MSG_DONTWAIT): the socket's blocking mode, which Asio's own
  // operations rely on, is left alone.
  ssize_t n = ::send(sock_.native_handle(), buf.data(), buf.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n >= 0) return static_cast<size_t>(n);
  if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ec = asio::error_code(errno, asio::system_category());
  return 0;
}

size_t TcpStream::available() {
  asio::error_code ec;
  size_t n = sock_.available(ec);
  return ec ? 0 : n;
}

void TcpStream::cancel() {
  asio::error_code ec;
  sock_.cancel(ec);
}

void TcpStream::close() {
  asio::error_code ec;
  sock_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  sock_.close(ec);
}

}  // namespace tern::io
