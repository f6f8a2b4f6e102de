// Connection-level commands: HELO, EHLO, RSET, NOOP, VRFY, HELP, QUIT, and
// the answer to commands tern knows but does not offer.
//
// SECURITY: the HELO name reaches the Received: header and the queue file.
// The parser has refused control bytes, 8-bit bytes and spaces in it; it is
// cut to 255 bytes (RFC 1035's longest name) so the header line stays within
// RFC 5322's 998.
#include <fmt/format.h>

#include "base/log.h"
#include "base/strings.h"
#include "smtp/server/session.h"

namespace tern::smtp {

asio::awaitable<void> Session::cmd_helo(const Command& c) {
  reset_transaction();
  helo_ = str::printable(c.arg, 255);
  esmtp_ = c.verb == Verb::ehlo;
  if (!esmtp_) {
    reply(250, "", lim_.hostname);
    co_return;
  }
  Reply r;
  r.code = 250;
  r.lines = {lim_.hostname, "PIPELINING", lim_.message_bytes == config::Config::kNoLimit ? std::string("SIZE") : fmt::format("SIZE {}", lim_.message_bytes)};
  if (lim_.vrfy_enabled) r.lines.push_back("VRFY");
  if (services_->tls && lim_.tls_offered && !tls_active_) r.lines.push_back("STARTTLS");
  r.lines.push_back("ENHANCEDSTATUSCODES");
  r.lines.push_back("8BITMIME");
  if (lim_.smtputf8) r.lines.push_back("SMTPUTF8");
  r.lines.push_back("DSN");
  r.lines.push_back("CHUNKING");
  if (auth_offered()) r.lines.push_back("AUTH " + std::string(sasl::kServerMechanisms));
  reply(r);
}

asio::awaitable<void> Session::cmd_rset(const Command&) {
  reset_transaction();
  reply(250, "2.0.0", "Ok");
  co_return;
}

asio::awaitable<void> Session::cmd_noop(const Command&) {
  reply(250, "2.0.0", "Ok");
  co_return;
}

asio::awaitable<void> Session::cmd_help(const Command&) {
  reply(214, "2.0.0", "Commands: HELO EHLO AUTH MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP");
  co_return;
}

asio::awaitable<void> Session::cmd_not_implemented(const Command&) {
  reply(502, "5.5.1", "Error: command not implemented");
  co_return;
}

asio::awaitable<void> Session::cmd_vrfy(const Command& c) {
  if (!lim_.vrfy_enabled) {
    reply(252, "2.0.0", "Send mail and I will try my best");
    co_return;
  }
  mail::PathOptions po;
  po.require_brackets = false;
  po.allow_no_domain = true;
  po.allow_utf8 = lim_.smtputf8;
  auto a = mail::parse_path(c.arg, po);
  if (!a) {
    reply(501, "5.1.3", "Bad recipient address syntax");
    co_return;
  }
  std::string addr = services_->rewriter->qualify(*a);
  auto st = services_->rewriter->validate(addr);
  if (st)
    reply(250, "2.0.0", "<" + addr + ">");
  else if (st.error().is_temporary())
    reply(450, "4.3.0", "<" + addr + ">: Temporary lookup failure");
  else
    reply(550, "5.1.1", "<" + addr + ">: Recipient address rejected: User unknown");
}

asio::awaitable<void> Session::cmd_quit(const Command&) {
  hang_up(HangUp::quit);
  co_return;
}

void Session::reset_transaction() {
  if (tx_.draft) tx_.draft->abort();
  tx_ = Transaction{};
}

}  // namespace tern::smtp
