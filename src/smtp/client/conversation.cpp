// Implementation of the SMTP client's Conversation (see conversation.h).
#include "smtp/client/conversation.h"

#include <asio/error.hpp>
#include <array>

#include "base/log.h"

namespace tern::smtp::client {

Conversation::Conversation(std::unique_ptr<io::Stream> stream, std::string host, io::Clock& clock)
    : stream_(std::move(stream)), host_(std::move(host)), watchdog_(std::make_shared<io::Watchdog>(*stream_, clock)) {
  watchdog_->start();
}

Conversation::~Conversation() { close(); }

void Conversation::close() {
  if (closed_) return;
  closed_ = true;
  watchdog_->stop();
  stream_->close();
}

void Conversation::fail(std::string diagnostic, std::string dsn) {
  if (!failure_) failure_ = Failure{std::move(diagnostic), std::move(dsn)};
  close();
}

std::string Conversation::timed_out(std::string_view doing) const {
  return "conversation with " + host_ + " timed out while " + std::string(doing);
}

std::string Conversation::said(const Reply& r, std::string_view command) const {
  return "host " + host_ + " said: " + reply_summary(r) + " (in reply to " + std::string(command) + " command)";
}

asio::awaitable<bool> Conversation::send(std::string_view bytes, std::chrono::seconds timeout, std::string_view doing) {
  if (failure_ || closed_) co_return false;
  watchdog_->arm(timeout);
  asio::error_code ec;
  co_await stream_->write(asio::buffer(bytes.data(), bytes.size()), ec);
  if (watchdog_->fired()) {
    fail(timed_out(doing), "4.4.2");
  } else if (ec) {
    fail("lost connection with " + host_ + " while " + std::string(doing), "4.4.2");
  }
  co_return !failure_;
}

asio::awaitable<std::optional<Reply>> Conversation::read_reply(std::chrono::seconds timeout, std::string_view doing) {
  if (failure_ || closed_) co_return std::nullopt;
  watchdog_->arm(timeout);
  std::array<char, 4096> buf;
  for (;;) {
    auto next = parser_.next();
    if (next.kind == ReplyParser::Kind::reply) co_return std::move(next.reply);
    if (next.kind == ReplyParser::Kind::error) {
      fail("protocol error with " + host_ + " while " + std::string(doing) + ": " +
               std::string(reply_error_text(next.error)),
           "4.4.2");
      co_return std::nullopt;
    }
    if (watchdog_->fired()) {
      fail(timed_out(doing), "4.4.2");
      co_return std::nullopt;
    }
    asio::error_code ec;
    size_t n = co_await stream_->read_some(asio::buffer(buf), ec);
    if (watchdog_->fired()) {
      fail(timed_out(doing), "4.4.2");
      co_return std::nullopt;
    }
    if (ec || n == 0) {
      fail("lost connection with " + host_ + " while " + std::string(doing), "4.4.2");
      co_return std::nullopt;
    }
    parser_.feed(std::string_view(buf.data(), n));
  }
}

asio::awaitable<bool> Conversation::start_tls(const io::TlsClient& tls, const std::string& server_name, bool mandatory,
                                              std::chrono::seconds timeout, io::TlsSummary& summary) {
  if (failure_ || closed_) co_return false;
  if (!parser_.idle()) {
    log::warn("{}: {} byte(s) of plaintext after the STARTTLS reply discarded", host_, parser_.pending_size());
  }
  parser_.clear();
  auto wrapped = tls.wrap(stream_, server_name, mandatory);
  if (!wrapped) {
    fail("Cannot start TLS: the connection to " + host_ + " cannot carry TLS", "4.7.5");
    co_return false;
  }
  io::TlsStream& t = *wrapped;
  stream_ = std::move(wrapped);
  watchdog_->watch(*stream_);
  watchdog_->arm(timeout);
  asio::error_code ec;
  co_await t.handshake(ec);
  if (ec || watchdog_->fired()) {
    std::string why = watchdog_->fired() ? "timeout" : t.error_text(ec);
    log::info("SSL_connect error to {}: {}", host_, why);
    fail("Cannot start TLS: handshake failure with " + host_ + " (" + why + ")", "4.7.5");
    co_return false;
  }
  summary = t.summary();
  co_return true;
}

}  // namespace tern::smtp::client
