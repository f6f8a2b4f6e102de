// MemoryStream: io::Stream over bytes in memory, to drive a session from a
// unit test or a fuzz target without a socket. The client is a list of
// segments:
//   - bytes: each read returns (part of) the next one, so segment borders
//     are TCP segment borders;
//   - a pause (empty bytes): what follows is not available() until the
//     session reads again (a client that waits for the replies);
//   - a wait of N seconds (Segment::after): a pause that lasts N seconds of
//     the stream's clock, counted from the read that reaches it (the client
//     waits after the replies; the session's own work takes no time);
//   - a stall (Segment::stall): the client sends nothing more and keeps the
//     connection open; the read suspends until cancel() and then finishes
//     with operation_aborted, as a socket's does. What follows is ignored.
// After the last segment reads see end of stream. Waits and stalls suspend
// on a Clock::Timer (io/clock.h): with a FakeClock they pass in no real time.
// cancel() aborts a read suspended in a wait or a stall; otherwise (as for a
// socket) it does nothing. What the session writes goes to a Transcript the
// caller keeps (it outlives the stream, which the session owns).
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "io/clock.h"
#include "io/stream.h"

namespace tern::io {

struct Segment {
  Segment(std::string b) : bytes(std::move(b)) {}  // NOLINT: implicit, so {"EHLO x\r\n", ""} reads naturally
  Segment(const char* b) : bytes(b) {}             // NOLINT
  explicit Segment(std::string_view b) : bytes(b) {}
  static Segment after(std::chrono::seconds s) {
    Segment g{std::string()};
    g.wait = s;
    return g;
  }
  static Segment stall() { return after(std::chrono::seconds::max()); }
  bool is_stall() const { return wait == std::chrono::seconds::max(); }

  std::string bytes;
  std::chrono::seconds wait{0};
};

class MemoryStream final : public Stream {
 public:
  struct Transcript {
    std::string written;
    bool closed = false;
    Clock::time_point closed_at{};   // the clock's time at close()
    size_t written_after_close = 0;  // a bug: nothing may follow the last reply
  };
  MemoryStream(asio::any_io_executor ex, Clock& clock, std::deque<Segment> in, std::shared_ptr<Transcript> t)
      : ex_(ex), clock_(clock), timer_(clock.make_timer(std::move(ex))), in_(std::move(in)), t_(std::move(t)) {}
  asio::any_io_executor get_executor() override { return ex_; }
  asio::awaitable<size_t> read_some(asio::mutable_buffer buf, asio::error_code& ec) override;
  asio::awaitable<void> write(asio::const_buffer buf, asio::error_code& ec) override;
  // Takes the first half (rounded up), so that a caller's fall-back to
  // write() for the rest is exercised as well.
  size_t try_write(asio::const_buffer buf, asio::error_code& ec) override;
  size_t available() override { return in_.empty() || t_->closed || in_.front().wait.count() ? 0 : in_.front().bytes.size(); }
  // Like a socket's: a pending read ends with operation_aborted, even when
  // the wait it was in came due in the same instant and no bytes followed.
  void cancel() override {
    cancelled_ = reading_;
    timer_->cancel();
  }
  void close() override {
    if (!t_->closed) t_->closed_at = clock_.now();
    t_->closed = true;
  }

 private:
  asio::any_io_executor ex_;
  Clock& clock_;
  std::unique_ptr<Clock::Timer> timer_;
  std::deque<Segment> in_;
  std::shared_ptr<Transcript> t_;
  Clock::time_point wait_end_ = Clock::time_point::min();  // of the wait at the head, once a read reached it
  bool reading_ = false;    // a read_some is suspended
  bool cancelled_ = false;  // cancel() came while it was
};

}  // namespace tern::io
