// The POP3 command parser (RFC 1939, 2449, 2595, 5034): one command line
// (without CRLF, as smtp::LineSplitter hands it out) in, a Command or the
// words of an -ERR reply out. Pure: no I/O and no session state; which
// command is allowed in which state is the session's business.
//
// SECURITY: the line is untrusted network data. Limits (RFC 2449 section 4):
// a command line is at most kMaxLineBytes octets with its CRLF (the session
// sets that limit on its LineSplitter), a keyword 4 octets, an argument
// kMaxArgBytes octets. Two arguments are exempt, as their RFCs need: PASS
// takes the rest of the line (a password may hold spaces, RFC 1939 section
// 7) and AUTH's initial response may fill the line (RFC 5034 section 4);
// both are bounded by the line. Message numbers are 1..2^31, decimal digits
// only (no sign, no space, no hex); TOP's line count is 0 or more (digits
// only, counts past 2^63 saturate: "all of it"). NUL and other control bytes
// are refused anywhere in the line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace tern::pop3 {

// RFC 2449 section 4: 255 octets including CRLF; 40 octets per argument.
inline constexpr size_t kMaxLineBytes = 255;
inline constexpr size_t kMaxArgBytes = 40;
inline constexpr uint64_t kMaxMessageNumber = uint64_t{1} << 31;

enum class Verb { user, pass, apop, auth, capa, stat, list, retr, dele, noop, rset, quit, top, uidl, stls };

struct Command {
  Verb verb;
  // USER name, PASS password, AUTH mechanism (empty: list them), APOP name.
  std::string arg;
  // AUTH's initial response ("=" is an empty one, RFC 5034 section 4).
  std::optional<std::string> initial_response;
  // LIST/UIDL [n], RETR/DELE/TOP n: the message number (1-based).
  std::optional<uint32_t> msg;
  // TOP n m: body lines wanted.
  uint64_t lines = 0;
};

// Why a line is not a command; `text` follows "-ERR ".
struct ParseError {
  std::string text;
};

using Parsed = std::variant<Command, ParseError>;

Parsed parse_command(std::string_view line);

// The keyword as RFC 1939 spells it ("RETR"), for logs.
std::string_view verb_name(Verb v);

}  // namespace tern::pop3
