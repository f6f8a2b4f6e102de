// A fake TLS layer for the session harness (tests and the session fuzz
// target): STARTTLS and port 465 go through it as through the real one
// (io::TlsServer wraps the plain stream in place), but no cryptography
// happens. The handshake reads one byte from the client: kHello (0x16, the
// first byte of a real ClientHello) succeeds, anything else (or the end of
// the stream) fails. After it, bytes pass through unchanged, and the fake
// records what the session read and wrote inside "TLS", so the fuzz target
// can check that nothing the client sent before the handshake is answered
// after it. Header-only, like the harness.
#pragma once

#include <asio/error.hpp>
#include <memory>
#include <string>

#include "io/tls_stream.h"

namespace tern::smtp::harness {

inline constexpr char kHello = '\x16';

// What happened inside the fake TLS of one session (reset per run).
struct FakeTlsLog {
  int handshakes = 0;       // attempted
  bool handshake_ok = false;
  std::string read_inside;     // bytes the session read after the handshake
  std::string written_inside;  // bytes the session wrote after it
  void clear() { *this = FakeTlsLog{}; }
};

class FakeTlsStream final : public io::TlsStream {
 public:
  FakeTlsStream(std::unique_ptr<io::Stream> inner, std::shared_ptr<FakeTlsLog> log)
      : inner_(std::move(inner)), log_(std::move(log)) {}
  asio::any_io_executor get_executor() override { return inner_->get_executor(); }
  asio::awaitable<void> handshake(asio::error_code& ec) override {
    ++log_->handshakes;
    char hello = 0;
    size_t n = co_await inner_->read_some(asio::buffer(&hello, 1), ec);
    if (!ec && (n != 1 || hello != kHello)) ec = asio::error::connection_reset;
    if (!ec) log_->handshake_ok = true;
  }
  io::TlsSummary summary() const override {
    io::TlsSummary s;
    s.protocol = "TLSv1.3", s.cipher = "TLS_AES_256_GCM_SHA384", s.bits = s.alg_bits = 256;
    return s;
  }
  std::string error_text(const asio::error_code& ec) const override { return ec.message(); }
  asio::awaitable<size_t> read_some(asio::mutable_buffer buf, asio::error_code& ec) override {
    size_t n = co_await inner_->read_some(buf, ec);
    log_->read_inside.append(static_cast<const char*>(buf.data()), n);
    co_return n;
  }
  asio::awaitable<void> write(asio::const_buffer buf, asio::error_code& ec) override {
    log_->written_inside.append(static_cast<const char*>(buf.data()), buf.size());
    co_await inner_->write(buf, ec);
  }
  size_t available() override { return inner_->available(); }
  void cancel() override { inner_->cancel(); }
  void close() override { inner_->close(); }

 private:
  std::unique_ptr<io::Stream> inner_;
  std::shared_ptr<FakeTlsLog> log_;
};

class FakeTlsServer final : public io::TlsServer {
 public:
  std::unique_ptr<io::TlsStream> wrap(std::unique_ptr<io::Stream>& plain) const override {
    return std::make_unique<FakeTlsStream>(std::move(plain), log);
  }
  std::shared_ptr<FakeTlsLog> log = std::make_shared<FakeTlsLog>();
};

}  // namespace tern::smtp::harness
