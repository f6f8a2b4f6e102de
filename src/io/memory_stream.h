// MemoryStream: io::Stream over bytes in memory, to drive a session from a
// unit test or a fuzz target without a socket. The client's bytes are given
// as chunks; each read returns (part of) the next chunk, so chunk borders
// are TCP segment borders. An empty chunk is a pause: what follows it is not
// available() until the session reads again (a client that waits for a
// reply). After the last chunk reads see end of stream. Everything written
// is kept in written(). Operations complete at once, never suspending.
#pragma once

#include <deque>
#include <string>

#include "io/stream.h"

namespace tern::io {

class MemoryStream final : public Stream {
 public:
  MemoryStream(asio::any_io_executor ex, std::deque<std::string> chunks) : ex_(std::move(ex)), in_(std::move(chunks)) {}
  asio::any_io_executor get_executor() override { return ex_; }
  asio::awaitable<size_t> read_some(asio::mutable_buffer buf, asio::error_code& ec) override;
  asio::awaitable<void> write(asio::const_buffer buf, asio::error_code& ec) override;
  size_t available() override { return in_.empty() || closed_ ? 0 : in_.front().size(); }
  void cancel() override {}
  void close() override { closed_ = true; }

  const std::string& written() const { return out_; }
  bool closed() const { return closed_; }
  // Bytes written after close() (a bug: nothing may follow the last reply).
  size_t written_after_close() const { return after_close_; }

 private:
  asio::any_io_executor ex_;
  std::deque<std::string> in_;
  std::string out_;
  bool closed_ = false;
  size_t after_close_ = 0;
};

}  // namespace tern::io
