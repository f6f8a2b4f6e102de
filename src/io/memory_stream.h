// MemoryStream: io::Stream over bytes in memory, to drive a session from a
// unit test or a fuzz target without a socket. The client's bytes are given
// as chunks; each read returns (part of) the next chunk, so chunk borders
// are TCP segment borders. An empty chunk is a pause: what follows it is not
// available() until the session reads again (a client that waits for a
// reply). After the last chunk reads see end of stream. What the session
// writes goes to a Transcript the caller keeps (it outlives the stream,
// which the session owns). Operations complete at once, never suspending.
#pragma once

#include <deque>
#include <memory>
#include <string>

#include "io/stream.h"

namespace tern::io {

class MemoryStream final : public Stream {
 public:
  struct Transcript {
    std::string written;
    bool closed = false;
    size_t written_after_close = 0;  // a bug: nothing may follow the last reply
  };
  MemoryStream(asio::any_io_executor ex, std::deque<std::string> chunks, std::shared_ptr<Transcript> t)
      : ex_(std::move(ex)), in_(std::move(chunks)), t_(std::move(t)) {}
  asio::any_io_executor get_executor() override { return ex_; }
  asio::awaitable<size_t> read_some(asio::mutable_buffer buf, asio::error_code& ec) override;
  asio::awaitable<void> write(asio::const_buffer buf, asio::error_code& ec) override;
  size_t available() override { return in_.empty() || t_->closed ? 0 : in_.front().size(); }
  void cancel() override {}
  void close() override { t_->closed = true; }

 private:
  asio::any_io_executor ex_;
  std::deque<std::string> in_;
  std::shared_ptr<Transcript> t_;
};

}  // namespace tern::io
