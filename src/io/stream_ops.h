// The read and write of an io::Stream over any Asio stream (a TCP socket,
// an asio::ssl::stream), written once for TcpStream and the TLS stream: a
// read returns at least one byte or 0 with ec set; a write writes all.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

namespace tern::io {

template <class AsyncStream>
asio::awaitable<size_t> read_some_of(AsyncStream& s, asio::mutable_buffer buf, asio::error_code& ec) {
  size_t n = co_await s.async_read_some(buf, asio::redirect_error(asio::use_awaitable, ec));
  co_return ec ? 0 : n;
}

template <class AsyncStream>
asio::awaitable<void> write_all_of(AsyncStream& s, asio::const_buffer buf, asio::error_code& ec) {
  co_await asio::async_write(s, buf, asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace tern::io
