// Reading the DNS parameters (see settings.h).
#include "dns/settings.h"

#include <fmt/format.h>

#include "base/strings.h"
#include "dns/ip_address.h"

namespace tern::dns {

Result<std::string> parse_resolver_address(std::string_view value) {
  value = str::trim(value);
  if (value.empty()) return std::string();
  auto bad = [&](std::string_view why) {
    return Error::perm(fmt::format("\"{}\" {}; write an address and port such as 127.0.0.1:53 or [::1]:53",
                                   str::printable(value, 80), why));
  };
  std::string_view host = value, port = "53";
  if (value.front() == '[') {
    size_t close = value.find(']');
    if (close == std::string_view::npos) return bad("has '[' without ']'");
    host = value.substr(1, close - 1);
    std::string_view rest = value.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("has text after ']'");
      port = rest.substr(1);
    }
    if (!parse_ipv6(host)) return bad("is not an IPv6 address in brackets");
  } else {
    size_t colon = value.find(':');
    if (colon != std::string_view::npos) host = value.substr(0, colon), port = value.substr(colon + 1);
    if (!parse_ipv4(host)) return bad("is not an IP address (the resolver cannot be found by name)");
  }
  unsigned p = 0;
  if (port.empty() || port.size() > 5) return bad("has no valid port");
  for (char c : port) {
    if (c < '0' || c > '9') return bad("has no valid port");
    p = p * 10 + static_cast<unsigned>(c - '0');
  }
  if (p == 0 || p > 65535) return bad("has a port outside 1..65535");
  return fmt::format("{}@{}", host, p);
}

Result<Resolver::Options> resolver_options(const config::Config& cfg) {
  Resolver::Options o;
  auto fwd = parse_resolver_address(cfg.get("dns_resolver"));
  if (!fwd) return Error::perm(fmt::format("{}: dns_resolver = {}", cfg.origin("dns_resolver"), fwd.error().detail));
  o.forwarder = *fwd;
  o.timeout = std::chrono::seconds(std::max(1LL, cfg.seconds("dns_query_timeout")));
  return o;
}

RouteSettings route_settings(const config::Config& cfg) {
  RouteSettings s;
  std::string pref = cfg.get("smtp_address_preference");  // validated at load: ipv4, ipv6 or any
  s.preference = pref == "ipv4" ? AddressPreference::ipv4 : pref == "ipv6" ? AddressPreference::ipv6 : AddressPreference::any;
  s.mx_address_limit = static_cast<int>(std::clamp(cfg.integer("smtp_mx_address_limit"), 0LL, 1000LL));
  s.mx_session_limit = static_cast<int>(std::clamp(cfg.integer("smtp_mx_session_limit"), 1LL, 1000LL));
  return s;
}

Result<std::shared_ptr<Resolver>> make_resolver(asio::any_io_executor ex, const config::Config& cfg) {
  auto o = resolver_options(cfg);
  if (!o) return o.error();
  return Resolver::create(std::move(ex), *o);
}

}  // namespace tern::dns
