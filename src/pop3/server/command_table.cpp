// The POP3 command table (which handler, in which states) and CAPA (RFC
// 2449), which says what the table and the session's state allow.
#include <array>

#include "pop3/server/session.h"
#include "sasl/mechanism.h"

namespace tern::pop3 {


const Session::CommandSpec& Session::spec(Verb v) {
  using S = Session;
  constexpr unsigned kBoth = S::kAuthorization | S::kTransaction;
  static const std::array<S::CommandSpec, 15> kTable{{
      {Verb::user, &S::cmd_user, S::kAuthorization},
      {Verb::pass, &S::cmd_pass, S::kAuthorization},
      {Verb::apop, &S::cmd_apop, S::kAuthorization},
      {Verb::auth, &S::cmd_auth, S::kAuthorization},
      {Verb::stls, &S::cmd_stls, S::kAuthorization},
      {Verb::capa, &S::cmd_capa, kBoth},
      {Verb::quit, &S::cmd_quit, kBoth},
      {Verb::stat, &S::cmd_stat, S::kTransaction},
      {Verb::list, &S::cmd_list, S::kTransaction},
      {Verb::uidl, &S::cmd_uidl, S::kTransaction},
      {Verb::retr, &S::cmd_retr, S::kTransaction},
      {Verb::top, &S::cmd_top, S::kTransaction},
      {Verb::dele, &S::cmd_dele, S::kTransaction},
      {Verb::rset, &S::cmd_rset, S::kTransaction},
      {Verb::noop, &S::cmd_noop, S::kTransaction},
  }};
  for (const auto& s : kTable)
    if (s.verb == v) return s;
  return kTable[0];  // unreachable: every Verb has a row
}

asio::awaitable<void> Session::cmd_capa(const Command&) {
  ok("Capability list follows");
  out_ += "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n";
  if (state_ == State::authorization) {
    if (services_->tls && !tls_active_) out_ += "STLS\r\n";
    // RFC 2595 section 4 / RFC 5034: what cannot be used now is not listed.
    if (login_allowed()) {
      out_ += "USER\r\n";
      out_ += "SASL ";
      out_ += sasl::kServerMechanisms;
      out_ += "\r\n";
    }
  }
  out_ += kEndOfMultiline;
  co_return;
}

}  // namespace tern::pop3
