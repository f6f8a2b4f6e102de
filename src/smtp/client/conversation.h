// Conversation: the SMTP client's I/O with one server: write commands,
// read whole replies (smtp::ReplyParser), each under a time limit (one
// io::Watchdog for the connection), switch to TLS in place. The first
// failure (timeout, lost connection, malformed reply) is kept with its
// Postfix wording and RFC 3463 code, and every later call fails at once,
// so the session code reads as a list of steps.
//
// SECURITY: replies are untrusted; the parser bounds them and replaces
// control bytes. Diagnostics quote them only through reply_summary().
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "io/clock.h"
#include "io/stream.h"
#include "io/tls_stream.h"
#include "io/watchdog.h"
#include "smtp/proto/reply.h"
#include "smtp/proto/reply_parser.h"

namespace tern::smtp::client {

struct Failure {
  std::string diagnostic;  // "lost connection with mx.example.com[192.0.2.1] while sending RCPT TO"
  std::string dsn;         // "4.4.2"
};

class Conversation {
 public:
  // host: "mx.example.com[192.0.2.1]", the form diagnostics use.
  Conversation(std::unique_ptr<io::Stream> stream, std::string host, io::Clock& clock);
  ~Conversation();
  Conversation(const Conversation&) = delete;
  Conversation& operator=(const Conversation&) = delete;

  // `doing` completes "timed out while ..." / "lost connection with X while
  // ...": "sending MAIL FROM", "receiving the initial server greeting".
  asio::awaitable<bool> send(std::string_view bytes, std::chrono::seconds timeout, std::string_view doing);
  asio::awaitable<std::optional<Reply>> read_reply(std::chrono::seconds timeout, std::string_view doing);

  // After the server's 220 to STARTTLS: drops plaintext it sent after the
  // 220 (never read inside TLS), wraps the stream and runs the client
  // handshake. Null on failure (failed() then says why; the stream is
  // closed). The summary is valid after success.
  asio::awaitable<bool> start_tls(const io::TlsClient& tls, const std::string& server_name, bool mandatory,
                                  std::chrono::seconds timeout, io::TlsSummary& summary);

  // Ends the conversation with the server (no more I/O); keeps the failure.
  void fail(std::string diagnostic, std::string dsn);
  bool failed() const { return failure_.has_value(); }
  const Failure& failure() const { return *failure_; }
  const std::string& host() const { return host_; }
  // "host mx.example.com[192.0.2.1] said: 550 5.1.1 text (in reply to RCPT TO command)"
  std::string said(const Reply& r, std::string_view command) const;
  void close();
  // Nothing arrived unasked (an idle server that sends something, say a
  // 421 for its timeout, is about to close): fit for the next command.
  bool quiet() const { return !failure_ && !closed_ && parser_.idle() && stream_->available() == 0; }

 private:
  std::string timed_out(std::string_view doing) const;
  std::unique_ptr<io::Stream> stream_;
  std::string host_;
  std::shared_ptr<io::Watchdog> watchdog_;
  ReplyParser parser_;
  std::optional<Failure> failure_;
  bool closed_ = false;
};

}  // namespace tern::smtp::client
