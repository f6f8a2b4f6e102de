// The one rule for what a host or domain name tern routes to may look like:
// used on next hops from the configuration and from recipient addresses,
// and on every name that comes back in a DNS answer (MX and PTR targets).
//
// SECURITY: names from DNS answers are attacker-controlled (anyone can
// publish any PTR record). A name passes only if it is plain ASCII letters,
// digits, '-' and '_' in dot-separated labels of 1..63 bytes, at most 253
// bytes in all, not all-numeric; so a name that reaches a log line, a
// Received: header or an EHLO comparison carries no spaces, brackets or
// control bytes.
#pragma once

#include <string>
#include <string_view>

namespace tern::dns {

// RFC 1035 §2.3.4: 255 bytes on the wire is 253 in text without the final dot.
inline constexpr size_t kMaxNameLength = 253;
inline constexpr size_t kMaxLabelLength = 63;

// "" when `name` is a valid host name (a single trailing dot allowed), else
// the reason in plain words ("label longer than 63 bytes").
std::string hostname_problem(std::string_view name);

// Lower case, without the trailing dot. Only for names that passed.
std::string canonical_name(std::string_view name);

}  // namespace tern::dns
