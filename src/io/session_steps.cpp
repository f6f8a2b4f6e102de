// Implementation of the shared session steps (see session_steps.h).
#include "io/session_steps.h"

namespace tern::io {

asio::awaitable<ReadOutcome> read_before_deadline(Stream& s, const Watchdog* w, std::span<char> buf, size_t& n) {
  n = 0;
  // Neither data read in the instant the watchdog fired (its cancel() came
  // after the read completed) nor a read after it fired while the session
  // was busy counts.
  auto timed_out = [w] { return w && w->fired(); };
  if (timed_out()) co_return ReadOutcome::timeout;
  asio::error_code ec;
  n = co_await s.read_some(asio::buffer(buf.data(), buf.size()), ec);
  if (timed_out()) co_return ReadOutcome::timeout;
  co_return !ec && n > 0 ? ReadOutcome::data : ReadOutcome::ended;
}

asio::awaitable<TlsStart> start_tls(const TlsServer& server, std::unique_ptr<Stream>& stream, Watchdog& watchdog,
                                    std::chrono::seconds timeout) {
  TlsStart r;
  auto tls = server.wrap(stream);
  if (!tls) {
    r.error = "the connection cannot carry TLS";
    co_return r;
  }
  r.wrapped = true;
  TlsStream& t = *tls;
  stream = std::move(tls);
  watchdog.watch(*stream);
  watchdog.arm(timeout);
  asio::error_code ec;
  co_await t.handshake(ec);
  if (ec) {
    r.error = watchdog.fired() ? "timeout" : t.error_text(ec);
    co_return r;
  }
  r.ok = true;
  r.summary = t.summary();
  co_return r;
}

}  // namespace tern::io
