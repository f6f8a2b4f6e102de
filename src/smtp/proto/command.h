// The SMTP command parser: one command line (without CRLF) in, a Command or
// a ready-made error Reply out. Pure: no I/O, no session state.
//
// SECURITY: the line comes from the network. Parsing is linear; ESMTP
// parameters are bounded in count; NUL, CR and LF anywhere in the line are
// refused with 500 5.5.2, other control characters in the arguments with
// 501 5.5.2 (RELIABILITY.md #7, #19). xtext-encoded parameter
// values that decode to control characters are refused with 501 5.5.4 so
// they can never reach the queue file or a log line (#18).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "mail/address.h"
#include "smtp/proto/reply.h"

namespace tern::smtp {

enum class Verb { helo, ehlo, mail, rcpt, data, bdat, rset, noop, quit, vrfy, expn, help, starttls, auth };

struct Command {
  Verb verb{};
  std::string arg;  // everything after the verb and one space, as sent
  // MAIL / RCPT
  mail::Address address;
  std::vector<std::pair<std::string, std::string>> params;  // upper-cased keyword, raw value
  // MAIL parameters understood by tern
  uint64_t size = 0;  // SIZE=
  bool smtputf8 = false;
  std::string body;  // BODY= (7BIT, 8BITMIME); upper-cased
  std::string auth;  // AUTH= (RFC 4954 section 5), xtext-decoded: "<>" or an address; "" if absent
  // RFC 3461 DSN parameters, checked and xtext-decoded
  std::string ret;     // MAIL RET=: "FULL", "HDRS", or "" if absent
  std::string envid;   // MAIL ENVID=; "" if absent
  unsigned notify = 0;  // RCPT NOTIFY=: bits of smtp::notify (client_command.h); 0 if absent
  std::string orcpt;   // RCPT ORCPT= "type;address"; "" if absent
  // BDAT
  uint64_t chunk_size = 0;
  bool last = false;
};

using ParseResult = std::variant<Command, Reply>;

struct ParseLimits {
  size_t max_params = 16;
  bool smtputf8_enabled = true;
};

ParseResult parse_command(std::string_view line, const ParseLimits& limits = {});

// Decodes RFC 3461 xtext ("+2B" -> '+'); fails on bad hex or control characters.
bool xtext_decode(std::string_view in, std::string& out);

}  // namespace tern::smtp
