// Network prefixes (mynetworks, cidr: tables, access tables): parse
// "127.0.0.0/8", "[::1]/128", "192.168.1.5" and match an address string.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace tern::maps {

struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // v4 uses the first 4
  static std::optional<IpAddress> parse(std::string_view text);  // accepts [::1] brackets and v4-mapped v6
  std::string to_string() const;  // "192.0.2.1", "2001:db8::1" (no brackets)
  bool operator==(const IpAddress&) const = default;
};

struct Cidr {
  IpAddress net;
  int prefix_len = 0;
  static std::optional<Cidr> parse(std::string_view text);  // "a.b.c.d/n", "[v6]/n", bare address
  // As parse, but says why a pattern is refused ("host bits set in
  // '10.1.2.3/8' (did you mean '10.0.0.0/8'?)"), for file:line diagnostics.
  // Host bits set is an error, as in Postfix.
  static Result<Cidr> parse_checked(std::string_view text);
  bool contains(const IpAddress& a) const;  // false when the families differ
  std::string to_string() const;            // "10.0.0.0/8", "2001:db8::/32"
};

}  // namespace tern::maps
