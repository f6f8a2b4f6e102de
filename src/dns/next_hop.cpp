// The next-hop parser (see next_hop.h).
#include "dns/next_hop.h"

#include <fmt/format.h>

#include "base/strings.h"
#include "dns/hostname.h"

namespace tern::dns {

namespace {

// Longest text worth looking at: "[" + a 253-byte name + "]:" + a service
// name; longer input is refused before any work.
constexpr size_t kMaxNextHopText = 300;

Error bad(std::string_view text, std::string_view why) {
  return Error::with_dsn("5.1.2", fmt::format("bad next hop \"{}\": {}", str::printable(text, 80), why));
}

std::optional<uint16_t> parse_port(std::string_view p) {
  struct Service {
    std::string_view name;
    uint16_t port;
  };
  static constexpr Service kServices[] = {
      {"smtp", 25}, {"submission", 587}, {"submissions", 465}, {"smtps", 465}, {"lmtp", 24}};
  for (auto& s : kServices)
    if (str::iequals(p, s.name)) return s.port;
  if (p.empty() || p.size() > 5) return std::nullopt;
  unsigned v = 0;
  for (char c : p) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v == 0 || v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}

}  // namespace

Result<NextHop> parse_next_hop(std::string_view text) {
  if (text.size() > kMaxNextHopText) return bad(text, "longer than 300 bytes");
  for (unsigned char c : text)
    if (c < 0x21 || c >= 0x7f) return bad(text, "space, control or non-ASCII character (use the A-label form xn--...)");
  if (text.empty()) return bad(text, "empty");

  NextHop hop;
  std::string_view rest;  // what follows the host part: "" or ":port"
  if (text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return bad(text, "'[' without ']'");
    std::string_view inside = text.substr(1, close - 1);
    rest = text.substr(close + 1);
    if (str::istarts_with(inside, "ipv6:")) {
      auto a = parse_ipv6(inside.substr(5));
      if (!a) return bad(text, "not an IPv6 address after \"IPv6:\"");
      hop.kind = NextHop::Kind::address, hop.address = a;
    } else if (auto a = parse_ip(inside)) {
      hop.kind = NextHop::Kind::address, hop.address = a;
    } else if (inside.find(':') != std::string_view::npos) {
      return bad(text, "not an address literal ([192.0.2.1] or [IPv6:2001:db8::1])");
    } else {
      if (auto why = hostname_problem(inside); !why.empty()) return bad(text, why);
      hop.kind = NextHop::Kind::host, hop.name = canonical_name(inside);
    }
  } else {
    size_t colon = text.find(':');
    std::string_view name = text.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
    if (name.find(']') != std::string_view::npos) return bad(text, "']' without '['");
    if (parse_ip(name)) return bad(text, fmt::format("an address must be written in brackets: [{}]", name));
    if (auto why = hostname_problem(name); !why.empty()) return bad(text, why);
    hop.kind = NextHop::Kind::mx_domain, hop.name = canonical_name(name);
  }
  if (!rest.empty()) {
    if (rest.front() != ':') return bad(text, "text after ']' (only :port may follow)");
    auto port = parse_port(rest.substr(1));
    if (!port) return bad(text, "port is not a number from 1 to 65535 or smtp, submission, submissions, lmtp");
    hop.port = port;
  }
  return hop;
}

std::string NextHop::to_string() const {
  std::string out;
  switch (kind) {
    case Kind::mx_domain: out = name; break;
    case Kind::host: out = "[" + name + "]"; break;
    case Kind::address: out = address->is_v4() ? "[" + address->text() + "]" : "[IPv6:" + address->text() + "]"; break;
  }
  if (port) out += ":" + std::to_string(*port);
  return out;
}

}  // namespace tern::dns
