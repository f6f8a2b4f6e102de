// Connection-level commands: HELO, EHLO, RSET, VRFY, QUIT.
#include <fmt/format.h>

#include "base/log.h"
#include "base/strings.h"
#include "smtp/server/session.h"

namespace tern::smtp {

void Session::cmd_helo(const Command& c, bool esmtp) {
  reset_transaction();
  helo_ = str::printable(c.arg, 255);
  esmtp_ = esmtp;
  if (!esmtp) {
    reply(250, "", lim_.hostname);
    return;
  }
  Reply r;
  r.code = 250;
  r.lines = {lim_.hostname, "PIPELINING", fmt::format("SIZE {}", lim_.message_bytes)};
  if (lim_.vrfy_enabled) r.lines.push_back("VRFY");
  r.lines.push_back("ENHANCEDSTATUSCODES");
  r.lines.push_back("8BITMIME");
  if (lim_.smtputf8) r.lines.push_back("SMTPUTF8");
  r.lines.push_back("CHUNKING");
  reply(r);
}

void Session::cmd_rset() {
  reset_transaction();
  reply(250, "2.0.0", "Ok");
}

void Session::cmd_vrfy(const Command& c) {
  if (!lim_.vrfy_enabled) {
    reply(252, "2.0.0", "Send mail and I will try my best");
    return;
  }
  mail::PathOptions po;
  po.require_brackets = false;
  po.allow_no_domain = true;
  po.allow_utf8 = lim_.smtputf8;
  auto a = mail::parse_path(c.arg, po);
  if (!a) {
    reply(501, "5.1.3", "Bad recipient address syntax");
    return;
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

asio::awaitable<void> Session::cmd_quit() {
  co_await close_with(Reply(221, "2.0.0", "Bye"));
}

void Session::reset_transaction() {
  if (tx_.draft) tx_.draft->abort();
  tx_ = Transaction{};
}

}  // namespace tern::smtp
