// Clock: where the per-connection deadlines get the time and wait for it, so
// that a test or a fuzz target can make a deadline pass without waiting
// (FakeClock, io/fake_clock.h). SteadyClock is the real one: now() is
// std::chrono::steady_clock (vDSO, no syscall) and a Timer is an
// asio::steady_timer, so the real path costs one indirect call per now().
//
// Contract of a Timer (like asio::steady_timer's): one wait at a time;
// cancel() makes the pending wait finish with operation_aborted and does
// nothing when none is pending (a wait whose time came first completes
// normally); a wait until time_point::max() ends only by cancel().
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/error_code.hpp>
#include <chrono>
#include <memory>

namespace tern::io {

class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;

  class Timer {
   public:
    virtual ~Timer() = default;
    // Suspends until now() >= at, or until cancel() (ec = operation_aborted).
    virtual asio::awaitable<void> wait_until(time_point at, asio::error_code& ec) = 0;
    virtual void cancel() = 0;
  };

  virtual ~Clock() = default;
  virtual time_point now() const = 0;
  // A timer whose completions run on `ex`; it must not outlive the clock.
  virtual std::unique_ptr<Timer> make_timer(asio::any_io_executor ex) = 0;
};

class SteadyClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  std::unique_ptr<Timer> make_timer(asio::any_io_executor ex) override;
};

}  // namespace tern::io
