// Stream: the byte stream a protocol session reads and writes, whatever is
// under it. Today TcpStream (a connected socket) and MemoryStream (tests and
// fuzzing); next a TLS stream, which STARTTLS puts in place of the TCP one
// while the session keeps running (issue 8): a session holds a
// std::unique_ptr<Stream> and never names the concrete type, and the
// per-connection Watchdog cancels whatever stream it is pointed at.
//
// Contract: one read and one write may be outstanding at a time (the session
// coroutine is sequential). cancel() makes the pending read or write finish
// with operation_aborted; close() ends the stream for good. Who the peer is
// (its address) is not the stream's business: it is passed to the session
// separately, since for TLS it is the address of the socket underneath.
//
// Cost: the operations are coroutines; their frames come from Asio's
// per-thread recycling allocator, so a read costs no malloc once warm.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/error_code.hpp>
#include <cstddef>

namespace tern::io {

class Stream {
 public:
  virtual ~Stream() = default;
  virtual asio::any_io_executor get_executor() = 0;
  // Reads at least one byte into buf. 0 bytes with ec set on end of stream,
  // error or cancel.
  virtual asio::awaitable<size_t> read_some(asio::mutable_buffer buf, asio::error_code& ec) = 0;
  // Writes all of buf (or fails with ec).
  virtual asio::awaitable<void> write(asio::const_buffer buf, asio::error_code& ec) = 0;
  // Writes what the connection takes at once, without waiting and without
  // a coroutine, and says how much (an IDLE push to thousands of sessions
  // is one small write each). A stream that cannot (TLS, DEFLATE: their
  // bytes are not the caller's) takes none; then use write(). Not while a
  // write() is under way.
  virtual size_t try_write(asio::const_buffer buf, asio::error_code& ec) {
    ec = {};
    return 0;
  }
  // Bytes readable without waiting (the early-talker check at connect).
  virtual size_t available() = 0;
  // Aborts the pending read/write (deadline passed, shutdown).
  virtual void cancel() = 0;
  // Shuts the connection down both ways and releases it.
  virtual void close() = 0;
};

}  // namespace tern::io
