// Implementation of MemoryStream (see memory_stream.h).
#include "io/memory_stream.h"

#include <asio/error.hpp>

#include <algorithm>
#include <cstring>

namespace tern::io {

asio::awaitable<size_t> MemoryStream::read_some(asio::mutable_buffer buf, asio::error_code& ec) {
  while (!in_.empty() && in_.front().empty()) in_.pop_front();  // pauses end when the session reads
  if (t_->closed || in_.empty() || buf.size() == 0) {
    if (t_->closed)
      ec = asio::error::bad_descriptor;
    else
      ec = asio::error::eof;
    co_return 0;
  }
  std::string& head = in_.front();
  size_t n = std::min(buf.size(), head.size());
  std::memcpy(buf.data(), head.data(), n);
  head.erase(0, n);
  if (head.empty()) in_.pop_front();
  ec = {};
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

}  // namespace tern::io
