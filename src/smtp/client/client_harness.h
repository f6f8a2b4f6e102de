// A client session with no network and no real time: the server's bytes
// come from an io::MemoryStream (segments as there: an empty one is a
// pause, Segment::after(N) a wait, Segment::stall() a silent server),
// time is an io::FakeClock that moves only when nothing else can happen,
// and TLS is faked (FakeTlsClient: the "handshake" reads one byte from the
// server, kHello succeeds; bytes then pass through unchanged). Used by the
// unit tests and the fuzz target. Header-only, so the library carries none
// of it.
#pragma once

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/error.hpp>
#include <asio/io_context.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "io/fake_clock.h"
#include "io/memory_stream.h"
#include "io/tls_stream.h"
#include "smtp/client/client.h"

namespace tern::smtp::client::harness {

inline constexpr char kHello = '\x16';

struct FakeTlsLog {
  int handshakes = 0;
  bool ok = false;
  std::string server_name;
  bool mandatory = false;
  std::string written_inside;  // what the client wrote after the handshake
};

class FakeTlsStream final : public io::TlsStream {
 public:
  FakeTlsStream(std::unique_ptr<io::Stream> inner, std::shared_ptr<FakeTlsLog> log, io::TlsSummary::Trust trust)
      : inner_(std::move(inner)), log_(std::move(log)), trust_(trust) {}
  asio::any_io_executor get_executor() override { return inner_->get_executor(); }
  asio::awaitable<void> handshake(asio::error_code& ec) override {
    ++log_->handshakes;
    char hello = 0;
    size_t n = co_await inner_->read_some(asio::buffer(&hello, 1), ec);
    if (!ec && (n != 1 || hello != kHello)) ec = asio::error::connection_reset;
    log_->ok = !ec;
  }
  io::TlsSummary summary() const override {
    io::TlsSummary s;
    s.protocol = "TLSv1.3", s.cipher = "TLS_AES_256_GCM_SHA384", s.bits = s.alg_bits = 256;
    s.trust = trust_;
    if (trust_ != io::TlsSummary::Trust::verified) s.verify_error = "self-signed certificate";
    return s;
  }
  std::string error_text(const asio::error_code& ec) const override { return ec.message(); }
  asio::awaitable<size_t> read_some(asio::mutable_buffer buf, asio::error_code& ec) override {
    return inner_->read_some(buf, ec);
  }
  asio::awaitable<void> write(asio::const_buffer buf, asio::error_code& ec) override {
    log_->written_inside.append(static_cast<const char*>(buf.data()), buf.size());
    return inner_->write(buf, ec);
  }
  size_t available() override { return inner_->available(); }
  void cancel() override { inner_->cancel(); }
  void close() override { inner_->close(); }

 private:
  std::unique_ptr<io::Stream> inner_;
  std::shared_ptr<FakeTlsLog> log_;
  io::TlsSummary::Trust trust_;
};

class FakeTlsClient final : public io::TlsClient {
 public:
  std::unique_ptr<io::TlsStream> wrap(std::unique_ptr<io::Stream>& plain, const std::string& server_name,
                                      bool mandatory) const override {
    log->server_name = server_name;
    log->mandatory = mandatory;
    return std::make_unique<FakeTlsStream>(std::move(plain), log, trust);
  }
  std::shared_ptr<FakeTlsLog> log = std::make_shared<FakeTlsLog>();
  io::TlsSummary::Trust trust = io::TlsSummary::Trust::verified;
};

struct Run {
  SessionResult result;
  io::MemoryStream::Transcript transcript;  // what the client wrote
  bool finished = false;                    // run_session returned
  bool hung = false;                        // it waited with no time left to pass
  io::Clock::time_point ended{};            // the fake clock when it returned
};

// The session's coroutine (parameters live in its frame, unlike a lambda's captures).
inline asio::awaitable<void> drive(Run* out, std::unique_ptr<io::Stream> stream, std::string server_name,
                                   std::string relay, const Settings* settings, const Envelope* env,
                                   std::string_view content, io::FakeClock* clock) {
  out->result = co_await run_session(std::move(stream), server_name, relay, *settings, *env, content, *clock);
  out->finished = true;
  out->ended = clock->now();
}

// Runs one session against the scripted server `in`.
inline Run run(std::deque<io::Segment> in, const Settings& settings, const Envelope& env, std::string_view content,
               std::string server_name = "mx.example.com", std::string relay = "mx.example.com[192.0.2.1]:25") {
  asio::io_context ctx;
  io::FakeClock clock;
  auto t = std::make_shared<io::MemoryStream::Transcript>();
  auto stream = std::make_unique<io::MemoryStream>(ctx.get_executor(), clock, std::move(in), t);
  Run out;
  asio::co_spawn(ctx, drive(&out, std::move(stream), server_name, relay, &settings, &env, content, &clock),
                 asio::detached);
  for (;;) {
    ctx.poll();
    if (ctx.stopped()) break;
    if (!clock.advance_to_next()) {
      out.hung = true;
      break;
    }
  }
  out.transcript = *t;
  return out;
}

// Several transactions over one session (the connection cache): the
// results of each send(), and what the session said between them.
struct Reuse {
  std::vector<SessionResult> results;
  std::vector<bool> reusable_after;  // reusable() after each send()
  std::vector<bool> still_open_after;  // still_open() after each send()
  bool opened = false, stale = false;
  io::MemoryStream::Transcript transcript;
};

inline asio::awaitable<void> drive_reuse(Reuse* out, std::unique_ptr<io::Stream> stream, const Settings* settings,
                                         const std::vector<Envelope>* envs, std::string_view content,
                                         io::FakeClock* clock) {
  auto opened = co_await open_session(std::move(stream), "mx.example.com", "mx.example.com[192.0.2.1]:25", *settings,
                                      *clock);
  out->opened = opened.session != nullptr;
  if (!opened.session) co_return;
  for (const auto& env : *envs) {
    out->results.push_back(co_await opened.session->send(env, content));
    out->reusable_after.push_back(opened.session->reusable());
    out->still_open_after.push_back(opened.session->still_open());
    if (opened.session->stale()) out->stale = true;
    if (!opened.session->reusable()) break;
  }
  co_await opened.session->quit();
}

inline Reuse run_reuse(std::deque<io::Segment> in, const Settings& settings, const std::vector<Envelope>& envs,
                       std::string_view content) {
  asio::io_context ctx;
  io::FakeClock clock;
  auto t = std::make_shared<io::MemoryStream::Transcript>();
  auto stream = std::make_unique<io::MemoryStream>(ctx.get_executor(), clock, std::move(in), t);
  Reuse out;
  asio::co_spawn(ctx, drive_reuse(&out, std::move(stream), &settings, &envs, content, &clock), asio::detached);
  for (;;) {
    ctx.poll();
    if (ctx.stopped()) break;
    if (!clock.advance_to_next()) break;
  }
  out.transcript = *t;
  return out;
}

}  // namespace tern::smtp::client::harness
