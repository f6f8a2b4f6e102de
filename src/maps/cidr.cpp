// IP addresses and network prefixes: the parsing and matching behind
// mynetworks, cidr: tables and access checks on the client address.
//
// Addresses are parsed strictly so that one address has one meaning: IPv4 is
// exactly four decimal parts 0-255 without leading zeros ("010" could be read
// as octal by other software, so it is refused); IPv6 goes through
// inet_pton(3); "[...]" and SMTP's "[IPv6:...]" brackets are accepted; an
// IPv4-mapped IPv6 address (::ffff:192.0.2.1) becomes the IPv4 address, so a
// dual-stack listener's clients match IPv4 networks.
//
// SECURITY: parses client-supplied text (address literals) and file/config
// input. No allocation depends on the input length beyond a small copy for
// inet_pton, which is bounded.
#include "maps/cidr.h"

#include <arpa/inet.h>

#include <cstring>

#include <fmt/format.h>

#include "base/strings.h"

namespace tern::maps {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::optional<IpAddress> parse_v4(std::string_view s) {
  IpAddress a;
  int part = 0;
  size_t i = 0;
  while (part < 4) {
    size_t start = i;
    int v = 0;
    while (i < s.size() && is_digit(s[i]) && i - start < 3) v = v * 10 + (s[i++] - '0');
    size_t len = i - start;
    if (len == 0 || v > 255 || (len > 1 && s[start] == '0')) return std::nullopt;
    a.bytes[part++] = static_cast<uint8_t>(v);
    if (part < 4) {
      if (i >= s.size() || s[i] != '.') return std::nullopt;
      ++i;
    }
  }
  if (i != s.size()) return std::nullopt;
  return a;
}

std::optional<IpAddress> parse_v6(std::string_view s) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (s.empty() || s.size() >= sizeof buf || s.find('\0') != std::string_view::npos) return std::nullopt;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  IpAddress a;
  a.v6 = true;
  if (::inet_pton(AF_INET6, buf, a.bytes.data()) != 1) return std::nullopt;
  return a;
}

// Parses without turning v4-mapped IPv6 into IPv4 (Cidr::parse needs to know,
// to adjust the prefix length).
std::optional<IpAddress> parse_raw(std::string_view text) {
  bool need_v6 = false;
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
    if (str::istarts_with(text, "ipv6:")) {
      text.remove_prefix(5);
      need_v6 = true;
    }
  }
  if (text.find(':') != std::string_view::npos) return parse_v6(text);
  if (need_v6) return std::nullopt;
  return parse_v4(text);
}

bool is_v4_mapped(const IpAddress& a) {
  if (!a.v6) return false;
  for (int i = 0; i < 10; ++i)
    if (a.bytes[i] != 0) return false;
  return a.bytes[10] == 0xff && a.bytes[11] == 0xff;
}

IpAddress unmap(const IpAddress& a) {
  IpAddress r;
  for (int i = 0; i < 4; ++i) r.bytes[i] = a.bytes[12 + i];
  return r;
}

int max_prefix(const IpAddress& a) { return a.v6 ? 128 : 32; }

// The mask byte for byte index i of a prefix of length len.
uint8_t mask_byte(int len, int i) {
  int bits = len - 8 * i;
  if (bits >= 8) return 0xff;
  if (bits <= 0) return 0;
  return static_cast<uint8_t>(0xff << (8 - bits));
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  auto a = parse_raw(text);
  if (a && is_v4_mapped(*a)) return unmap(*a);
  return a;
}

std::string IpAddress::to_string() const {
  if (!v6) return fmt::format("{}.{}.{}.{}", bytes[0], bytes[1], bytes[2], bytes[3]);
  char buf[INET6_ADDRSTRLEN];
  if (!::inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf)) return "::";
  return buf;
}

Result<Cidr> Cidr::parse_checked(std::string_view text) {
  std::string shown = str::printable(text, 100);
  size_t slash = text.rfind('/');
  std::string_view addr_text = text.substr(0, slash);
  auto addr = parse_raw(addr_text);
  if (!addr) return Error::perm(fmt::format("bad network address in '{}'", shown));
  int len = max_prefix(*addr);
  if (slash != std::string_view::npos) {
    std::string_view p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3) return Error::perm(fmt::format("bad prefix length in '{}'", shown));
    len = 0;
    for (char c : p) {
      if (!is_digit(c)) return Error::perm(fmt::format("bad prefix length in '{}'", shown));
      len = len * 10 + (c - '0');
    }
    if (len > max_prefix(*addr))
      return Error::perm(fmt::format("prefix length {} too large in '{}' (at most {})", len, shown,
                                     max_prefix(*addr)));
  }
  if (is_v4_mapped(*addr) && len >= 96) {
    *addr = unmap(*addr);
    len -= 96;
  }
  Cidr c{*addr, len};
  Cidr fixed = c;
  for (int i = 0; i < 16; ++i) fixed.net.bytes[i] &= mask_byte(len, i);
  if (!(fixed.net == c.net))
    return Error::perm(fmt::format("host bits set in '{}' (did you mean '{}'?)", shown, fixed.to_string()));
  return c;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  auto c = parse_checked(text);
  if (!c) return std::nullopt;
  return *c;
}

bool Cidr::contains(const IpAddress& a) const {
  if (a.v6 != net.v6 || prefix_len < 0 || prefix_len > max_prefix(net)) return false;
  for (int i = 0; i < 16 && 8 * i < prefix_len; ++i) {
    uint8_t m = mask_byte(prefix_len, i);
    if ((a.bytes[i] & m) != (net.bytes[i] & m)) return false;
  }
  return true;
}

std::string Cidr::to_string() const { return fmt::format("{}/{}", net.to_string(), prefix_len); }

}  // namespace tern::maps
