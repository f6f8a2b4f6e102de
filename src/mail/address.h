// Address: an envelope mailbox (RFC 5321 Path / Mailbox) as a value type,
// and the pure parser that turns "<local@domain>" from MAIL/RCPT or a
// command line into one.
//
// SECURITY: input is attacker-controlled. The parser is linear, bounded by
// the caller's line limit, rejects control characters and NUL, and never
// interprets the local part: "|cmd", "/path" and "${run{x}}" are just
// strings here (RELIABILITY.md #15, #16). Source routes (<@a,@b:u@d>) are
// accepted and dropped, as RFC 5321 section 4.1.2 permits.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace tern::mail {

struct Address {
  std::string local;   // as received, quotes removed; case preserved
  std::string domain;  // as received; compare with domain_key()

  bool is_null() const { return local.empty() && domain.empty(); }  // <>
  std::string str() const;  // "local@domain", quoting the local part if needed; "" for <>
  std::string domain_key() const;  // lower-cased domain without a trailing dot
  bool operator==(const Address& o) const = default;
};

struct PathOptions {
  bool allow_null = false;  // MAIL FROM:<>
  bool allow_utf8 = false;  // SMTPUTF8 was given on MAIL
  bool require_brackets = true;
  bool allow_no_domain = false;  // "postmaster" in RCPT; bare names from sendmail(1)
};

// Parses "<...>" (or a bare address when !require_brackets). On failure the
// error detail is a short reason fit for a 501 5.1.x reply.
Result<Address> parse_path(std::string_view text, const PathOptions& opt);

// Splits "user+ext" at the first delimiter character; empty ext if none.
struct LocalParts {
  std::string user;
  std::string extension;
};
LocalParts split_extension(std::string_view local, std::string_view delimiters);

// True if the string has any byte >= 0x80.
bool has_8bit(std::string_view s);

}  // namespace tern::mail
