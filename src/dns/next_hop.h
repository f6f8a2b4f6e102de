// NextHop: where mail goes next, as Postfix writes it in relayhost,
// transport_maps ("smtp:[10.1.1.1]:25") and as a recipient's domain
// (user@example.com, user@[192.0.2.1]). A pure parser: the route lookup
// (route_lookup.h) takes its result.
//
//   example.com        MX lookup, then the hosts' address records
//   example.com:2525   the same, each host on port 2525
//   [mail.example.com] no MX lookup: the host's address records only
//   [192.0.2.1]:587    that address (also [IPv6:2001:db8::1], RFC 5321's
//   [2001:db8::1]      form, and Postfix's bare form)
//
// A port is 1..65535 or one of the service names smtp (25), submission
// (587), submissions/smtps (465), lmtp (24).
//
// SECURITY: parses text from the network (recipient domains) and from
// main.cf and tables. Bounded: a name over 253 bytes, a bad label, a
// general address literal ([tag:...]), control bytes or a port out of range
// are refused with the reason; nothing is allocated beyond the input's size.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "dns/ip_address.h"

namespace tern::dns {

inline constexpr uint16_t kSmtpPort = 25;

struct NextHop {
  enum class Kind { mx_domain, host, address };
  Kind kind = Kind::mx_domain;
  std::string name;                // mx_domain, host: lower case, no trailing dot
  std::optional<IpAddress> address;  // address only
  std::optional<uint16_t> port;    // absent: the transport's default (25)

  uint16_t port_or(uint16_t dflt) const { return port.value_or(dflt); }
  // Canonical text: parse_next_hop(to_string(h)) gives h back.
  std::string to_string() const;
  bool operator==(const NextHop&) const = default;
};

// Error::perm with dsn 5.1.2 (bad destination system address) and a reason
// that names the fix.
Result<NextHop> parse_next_hop(std::string_view text);

}  // namespace tern::dns
