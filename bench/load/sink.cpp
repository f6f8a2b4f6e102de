// See sink.h.
// SECURITY: reads what the load client sends, on loopback; lines are
// bounded by LineBuffer, and the message body is counted, not kept.
#include "sink.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <memory>
#include <string>

#include "conn.h"
#include "smtp_reply.h"

namespace bench {
namespace {

bool verb_is(const std::string& line, std::string_view verb) {
  if (line.size() < verb.size()) return false;
  for (size_t i = 0; i < verb.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(line[i])) != verb[i]) return false;
  return line.size() == verb.size() || line[verb.size()] == ' ';
}

asio::awaitable<void> sink_session(std::shared_ptr<Conn> conn, SSL_CTX* ctx) {
  LineBuffer lines;
  std::string err;
  char buf[16384];
  bool in_data = false;
  bool want_auth_response = false;  // AUTH without an initial response: the next line is it
  // Reads until a line is there; nullopt at EOF or error.
  auto next = [&]() -> asio::awaitable<std::optional<std::string>> {
    for (;;) {
      if (auto l = lines.next_line()) co_return l;
      if (lines.error()) co_return std::nullopt;
      size_t n = co_await conn->read_some(buf, sizeof buf, err);
      if (n == 0) co_return std::nullopt;
      lines.feed(std::string_view(buf, n));
    }
  };
  if (!co_await conn->write("220 sink.test ESMTP load-tool sink\r\n", err)) co_return;
  while (auto line = co_await next()) {
    std::string_view reply;
    if (in_data) {
      if (*line != ".") continue;
      in_data = false;
      reply = "250 2.0.0 Ok: discarded\r\n";
    } else if (want_auth_response) {
      want_auth_response = false;
      reply = "235 2.7.0 Authentication successful\r\n";
    } else if (verb_is(*line, "EHLO") || verb_is(*line, "HELO")) {
      reply = conn->tls() ? "250-sink.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-AUTH PLAIN LOGIN\r\n"
                            "250 8BITMIME\r\n"
                          : "250-sink.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n"
                            "250 8BITMIME\r\n";
    } else if (verb_is(*line, "STARTTLS") && !conn->tls()) {
      if (!co_await conn->write("220 2.0.0 Ready to start TLS\r\n", err)) break;
      lines.clear();  // nothing pipelined before the handshake survives it
      if (!co_await conn->handshake(ctx, true, nullptr, "", err)) break;
      continue;
    } else if (verb_is(*line, "AUTH")) {
      bool initial = line->find(' ', 5) != std::string::npos;
      if (initial) {
        reply = "235 2.7.0 Authentication successful\r\n";
      } else {
        want_auth_response = true;
        reply = "334 \r\n";
      }
    } else if (verb_is(*line, "MAIL") || verb_is(*line, "RCPT") || verb_is(*line, "RSET") ||
               verb_is(*line, "NOOP")) {
      reply = "250 2.0.0 Ok\r\n";
    } else if (verb_is(*line, "DATA")) {
      in_data = true;
      reply = "354 End data with <CR><LF>.<CR><LF>\r\n";
    } else if (verb_is(*line, "QUIT")) {
      co_await conn->write("221 2.0.0 Bye\r\n", err);
      break;
    } else {
      reply = "502 5.5.2 Error: command not recognized\r\n";
    }
    if (!co_await conn->write(reply, err)) break;
  }
  conn->close();
}

}  // namespace

asio::awaitable<void> sink_accept_loop(asio::ip::tcp::acceptor& acceptor, SSL_CTX* ctx) {
  for (;;) {
    asio::error_code ec;
    auto sock = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) continue;  // EMFILE and the like: try the next one
    asio::co_spawn(acceptor.get_executor(), sink_session(std::make_shared<Conn>(std::move(sock)), ctx),
                   asio::detached);
  }
}

}  // namespace bench
