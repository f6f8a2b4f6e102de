// The command table: each SMTP verb with its handler and flags, in the
// manner of Postfix's smtpd_cmd_table. Adding a command is adding a row.
//   kPreTls  may run before STARTTLS where TLS is required
//            (smtpd_tls_security_level = encrypt; others get 530 5.7.0);
//   kLast    ends a pipelining group (RFC 2920 3.1): its reply is flushed
//            at once rather than batched with later ones;
//   kJunk    counts toward smtpd_junk_command_limit (commands that move
//            the deadline without moving a transaction forward).
#include <array>

#include "smtp/server/session.h"

namespace tern::smtp {

const Session::CommandSpec& Session::spec(Verb v) {
  using S = Session;
  static constexpr std::array kTable{
      S::CommandSpec{Verb::helo, &S::cmd_helo, kPreTls | kLast},
      S::CommandSpec{Verb::ehlo, &S::cmd_helo, kPreTls | kLast},
      S::CommandSpec{Verb::mail, &S::cmd_mail, 0},
      S::CommandSpec{Verb::rcpt, &S::cmd_rcpt, 0},
      S::CommandSpec{Verb::data, &S::cmd_data, kLast},
      S::CommandSpec{Verb::bdat, &S::cmd_bdat, 0},
      S::CommandSpec{Verb::rset, &S::cmd_rset, kPreTls | kJunk},
      S::CommandSpec{Verb::noop, &S::cmd_noop, kPreTls | kLast | kJunk},
      S::CommandSpec{Verb::quit, &S::cmd_quit, kPreTls | kLast},
      S::CommandSpec{Verb::vrfy, &S::cmd_vrfy, kLast | kJunk},
      S::CommandSpec{Verb::expn, &S::cmd_not_implemented, kLast | kJunk},
      S::CommandSpec{Verb::help, &S::cmd_help, kPreTls | kLast | kJunk},
      S::CommandSpec{Verb::starttls, &S::cmd_starttls, kPreTls | kLast},
      S::CommandSpec{Verb::auth, &S::cmd_auth, kLast},
  };
  // Rows are in Verb order (checked at compile time below), so this is an index.
  static_assert([] {
    for (size_t i = 0; i < kTable.size(); ++i)
      if (static_cast<size_t>(kTable[i].verb) != i) return false;
    return kTable.size() == static_cast<size_t>(Verb::auth) + 1;
  }());
  return kTable[static_cast<size_t>(v)];
}

}  // namespace tern::smtp
