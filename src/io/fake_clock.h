// FakeClock: a Clock (io/clock.h) for unit tests and fuzz targets, whose time
// moves only when told. Its timers suspend on the io_context like real ones,
// but become due only when advance() or advance_to_next() moves the time past
// them; then they complete (normally, as an expired asio timer does).
//
// The usual driver (smtp/server/session_harness.h) runs the io_context until
// nothing is ready, then advance_to_next(), and again, until the context runs
// out of work: whole timeouts pass in no real time, and a run where something
// waits for ever (nothing ready, no timer pending) is seen at once as a hang.
// Single-threaded: everything runs on the io_context's one thread.
#pragma once

#include <cstdint>
#include <vector>

#include "io/clock.h"

namespace tern::io {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(time_point start = time_point{}) : now_(start) {}
  time_point now() const override { return now_; }
  std::unique_ptr<Timer> make_timer(asio::any_io_executor ex) override;

  // Moves the time forward by d and wakes every wait due by then. Woken
  // waits run when the io_context next runs, so to let each react before
  // the next one comes due, step with advance_to_next() instead.
  void advance(duration d);
  // Moves the time to the earliest pending wait and wakes the waits due
  // then. False, and time unchanged, when nothing waits (a wait until
  // time_point::max() does not count: only cancel() ends it).
  bool advance_to_next();
  size_t waiting() const { return waiters_.size(); }

 private:
  class FakeTimer;
  void wake_due();
  time_point now_;
  std::vector<FakeTimer*> waiters_;  // in the order they began to wait
};

}  // namespace tern::io
