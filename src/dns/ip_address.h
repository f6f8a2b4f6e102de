// IpAddress: an IPv4 or IPv6 address as bytes, without Asio, so that the
// pure parts of the module (next-hop parsing, record decoding, route
// ordering) can be unit-tested and fuzzed alone. The SMTP client turns it
// into an asio::ip::address with make_address(text()) or from bytes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tern::dns {

struct IpAddress {
  enum class Family : uint8_t { v4, v6 };
  Family family = Family::v4;
  std::array<uint8_t, 16> bytes{};  // v4: the first 4 bytes

  bool is_v4() const { return family == Family::v4; }
  // "192.0.2.1" or "2001:db8::1" (inet_ntop's canonical form).
  std::string text() const;
  // An IPv4-mapped IPv6 address (::ffff:192.0.2.1) as the IPv4 address it
  // carries, as a peer on a dual-stack socket shows up; others unchanged.
  IpAddress unmapped() const;
  bool operator==(const IpAddress&) const = default;

  static IpAddress v4(const uint8_t (&b)[4]);
};

// Strict text forms only (inet_pton): no "1.2.3", no leading zeros games,
// no scope ids. nullopt when `text` is not an address of that family.
std::optional<IpAddress> parse_ipv4(std::string_view text);
std::optional<IpAddress> parse_ipv6(std::string_view text);
std::optional<IpAddress> parse_ip(std::string_view text);  // either

// The name a PTR query asks for: "5.0.0.127.in-addr.arpa",
// "1.0.0.0...8.b.d.0.1.0.0.2.ip6.arpa".
std::string reverse_name(const IpAddress& a);

}  // namespace tern::dns
