// Text and reverse-name forms of IpAddress (see ip_address.h), over libc's
// inet_pton/inet_ntop, which accept only the strict forms.
#include "dns/ip_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace tern::dns {

namespace {
// inet_pton needs a NUL-terminated string; anything longer than the longest
// IPv6 text form (45 bytes) is not an address.
constexpr size_t kMaxAddressText = 45;

bool to_cstr(std::string_view text, char (&buf)[kMaxAddressText + 1]) {
  if (text.empty() || text.size() > kMaxAddressText || text.find('\0') != std::string_view::npos) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  return true;
}
}  // namespace

IpAddress IpAddress::v4(const uint8_t (&b)[4]) {
  IpAddress a;
  a.family = Family::v4;
  std::memcpy(a.bytes.data(), b, 4);
  return a;
}

std::string IpAddress::text() const {
  char out[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes.data(), out, sizeof out);
  return out;
}

IpAddress IpAddress::unmapped() const {
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (is_v4() || std::memcmp(bytes.data(), kMapped, 12) != 0) return *this;
  IpAddress a;
  std::memcpy(a.bytes.data(), bytes.data() + 12, 4);
  return a;
}

std::optional<IpAddress> parse_ipv4(std::string_view text) {
  char buf[kMaxAddressText + 1];
  IpAddress a;
  if (!to_cstr(text, buf) || inet_pton(AF_INET, buf, a.bytes.data()) != 1) return std::nullopt;
  return a;
}

std::optional<IpAddress> parse_ipv6(std::string_view text) {
  char buf[kMaxAddressText + 1];
  IpAddress a;
  a.family = IpAddress::Family::v6;
  if (!to_cstr(text, buf) || inet_pton(AF_INET6, buf, a.bytes.data()) != 1) return std::nullopt;
  return a;
}

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (auto a = parse_ipv4(text)) return a;
  return parse_ipv6(text);
}

std::string reverse_name(const IpAddress& a) {
  std::string out;
  if (a.is_v4()) {
    for (int i = 3; i >= 0; --i) out += std::to_string(a.bytes[i]) + ".";
    return out + "in-addr.arpa";
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out += kHex[a.bytes[i] & 0xf];
    out += '.';
    out += kHex[a.bytes[i] >> 4];
    out += '.';
  }
  return out + "ip6.arpa";
}

}  // namespace tern::dns
