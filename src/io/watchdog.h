// Watchdog: one timer per connection that cancels the stream's pending read
// or write when the current deadline passes. The session moves the deadline
// forward before each command and each DATA/BDAT read; a client trickling
// one byte at a time does not push it back (RELIABILITY.md #25: the deadline
// is per command, not per byte). STARTTLS points it at the new stream with
// watch(). Time comes from an io::Clock (clock.h): the real one in the
// server, a FakeClock in tests and the session fuzz target.
//
// Once fired, a watchdog stays fired: the session must check fired() before
// and after each read, since a read may complete with data in the same
// instant the deadline passes (cancel() does not undo a completed read).
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <memory>

#include "io/clock.h"
#include "io/stream.h"

namespace tern::io {

class Watchdog : public std::enable_shared_from_this<Watchdog> {
 public:
  // The stream must outlive the watchdog, or be replaced with watch() first;
  // the clock must outlive it.
  Watchdog(Stream& stream, Clock& clock)
      : stream_(&stream), clock_(clock), timer_(clock.make_timer(stream.get_executor())) {}
  void watch(Stream& stream) { stream_ = &stream; }
  // Starts the watching coroutine; it ends when stop() is called.
  void start();
  // Moves the deadline. Deadlines only move later, so the timer is not
  // touched here: when it fires at the old deadline the watching coroutine
  // sees the new one and sleeps again (no timer syscalls per command).
  void arm(std::chrono::seconds timeout) {
    auto d = clock_.now() + timeout;
    bool earlier = d < deadline_;
    deadline_ = d;
    if (earlier) timer_->cancel();
  }
  // Fires now, as if the deadline had passed, without a trip through the
  // timer (an IDLE session told of a change: with thousands told at once,
  // each trip is a timer reset and a coroutine resumed for nothing).
  void fire_now() {
    if (fired_ || stopped_) return;
    fired_ = true;
    stream_->cancel();
  }
  bool fired() const { return fired_; }
  // Fired because the deadline passed, not by fire_now().
  bool fired_by_deadline() const { return by_deadline_; }
  // Watches again after fire_now(), keeping the timer and its coroutine (an
  // IDLE session pushed to many times in a row); false when the deadline
  // fired it, whose coroutine has ended: make a new watchdog then.
  bool rewind() {
    if (by_deadline_ || stopped_) return false;
    fired_ = false;
    return true;
  }
  void stop() {
    stopped_ = true;
    timer_->cancel();
  }

 private:
  asio::awaitable<void> run(std::shared_ptr<Watchdog> self);
  Stream* stream_;
  Clock& clock_;
  std::unique_ptr<Clock::Timer> timer_;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool fired_ = false;
  bool stopped_ = false;
  bool by_deadline_ = false;  // then the watching coroutine has returned
};

}  // namespace tern::io
