// Implementation of MemoryStream (see memory_stream.h).
#include "io/memory_stream.h"

#include <asio/error.hpp>

#include <algorithm>
#include <cstring>

namespace tern::io {

asio::awaitable<size_t> MemoryStream::read_some(asio::mutable_buffer buf, asio::error_code& ec) {
  ec = {};
  for (;;) {
    if (t_->closed) {
      ec = asio::error::bad_descriptor;
      co_return 0;
    }
    if (in_.empty() || buf.size() == 0) {
      ec = asio::error::eof;
      co_return 0;
    }
    Segment& head = in_.front();
    if (head.wait.count() == 0) {
      if (!head.bytes.empty()) break;
      in_.pop_front();  // a pause ends when the session reads
      continue;
    }
    // A wait (or a stall): its end is fixed by the first read that reaches
    // it, so a cancelled read does not make the client wait longer.
    if (wait_end_ == Clock::time_point::min())
      wait_end_ = head.is_stall() ? Clock::time_point::max() : clock_.now() + head.wait;
    reading_ = true;
    cancelled_ = false;
    co_await timer_->wait_until(wait_end_, ec);
    reading_ = false;
    if (ec) co_return 0;  // cancelled: operation_aborted, like a socket
    in_.pop_front();
    wait_end_ = Clock::time_point::min();
    if (cancelled_) {  // the wait came due, but the cancel reached the read first
      ec = asio::error::operation_aborted;
      co_return 0;
    }
  }
  std::string& bytes = in_.front().bytes;
  size_t n = std::min(buf.size(), bytes.size());
  std::memcpy(buf.data(), bytes.data(), n);
  bytes.erase(0, n);
  if (bytes.empty()) in_.pop_front();
  co_return n;
}

asio::awaitable<void> MemoryStream::write(asio::const_buffer buf, asio::error_code& ec) {
  if (t_->closed) {
    t_->written_after_close += buf.size();
    ec = asio::error::bad_descriptor;
    co_return;
  }
  t_->written.append(static_cast<const char*>(buf.data()), buf.size());
  ec = {};
}

size_t MemoryStream::try_write(asio::const_buffer buf, asio::error_code& ec) {
  ec = {};
  if (t_->closed) {
    t_->written_after_close += buf.size();
    ec = asio::error::bad_descriptor;
    return 0;
  }
  size_t n = (buf.size() + 1) / 2;
  t_->written.append(static_cast<const char*>(buf.data()), n);
  return n;
}

}  // namespace tern::io
