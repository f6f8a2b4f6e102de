// The per-destination TLS level of the SMTP client: smtp_tls_policy_maps,
// Postfix's table of "destination level" lines:
//     example.com            encrypt
//     .example.com           may
//     [mx.example.net]:587   verify
// parse_policy() reads one value (pure, fuzzed: client_policy_fuzz.cpp);
// policy_keys() says which keys a next hop is looked up under, most
// specific first; lookup_policy() asks the tables in order.
//
// SECURITY: table values are the admin's, but a bad one must never make
// mail go out with less TLS than meant: a value that cannot be parsed is a
// temporary failure (the mail waits, 4.7.5), never "none".
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "io/tls_stream.h"
#include "maps/table.h"

namespace tern::tls {

// "none", "may", "encrypt", "verify"; Postfix's "secure" is read as verify
// (tern checks the host name asked for, which is what "secure" checks by
// default for a [host] next hop). dane, dane-only and fingerprint are not
// supported, nor are attributes (protocols=, ciphers=, match=): each is an
// error that says what to write instead.
Result<io::TlsLevel> parse_level(std::string_view word);
Result<io::TlsLevel> parse_policy(std::string_view value);
std::string_view level_name(io::TlsLevel level);

// The keys a next hop is looked up under, most specific first:
// "[mx.example.com]:587" as written (a bracketed next hop: that key only);
// "example.com:587" -> "example.com:587", "example.com", ".example.com",
// ".com"; an empty next hop means the recipient domain. Lower-cased.
std::vector<std::string> policy_keys(std::string_view next_hop, std::string_view recipient_domain);

// The level of the first table with an entry for the first key that has
// one; nullopt when none has (the caller uses smtp_tls_security_level).
// A table that cannot answer now, or a value that does not parse, is a
// temporary error (dsn 4.7.5) naming the table and the key.
Result<std::optional<io::TlsLevel>> lookup_policy(const std::vector<std::shared_ptr<maps::Table>>& tables,
                                                  std::string_view next_hop, std::string_view recipient_domain);

}  // namespace tern::tls
