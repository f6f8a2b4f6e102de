// Transport selection (see transport.h).
#include "remote/transport.h"

#include "base/strings.h"

namespace tern::remote {

namespace {

bool is_status(std::string_view s) {
  // "5.1.1": class digit, dot, 1-3 digits, dot, 1-3 digits.
  if (s.size() < 5 || (s[0] != '4' && s[0] != '5') || s[1] != '.') return false;
  size_t dots = 0, run = 0;
  for (size_t i = 2; i < s.size(); ++i) {
    if (s[i] == '.') {
      if (run == 0 || ++dots > 1) return false;
      run = 0;
    } else if (s[i] >= '0' && s[i] <= '9') {
      if (++run > 3) return false;
    } else {
      return false;
    }
  }
  return dots == 1 && run > 0;
}

}  // namespace

std::string Transport::key() const {
  switch (kind) {
    case Kind::smtp: return "smtp:" + hop.to_string();
    case Kind::error: return "error:" + text;
    case Kind::discard: return "discard:" + text;
  }
  return "";
}

Result<TransportValue> parse_transport_value(std::string_view value) {
  value = str::trim(value);
  if (value.empty()) return Error::perm("empty transport");
  if (value.size() > 1000) return Error::perm("transport value longer than 1000 bytes");
  for (char c : value)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return Error::perm("control character in transport");
  auto colon = value.find(':');
  // "[host]:port" alone is a next hop without a transport only after ':'.
  if (colon == std::string_view::npos) return TransportValue{std::string(value), ""};
  TransportValue v{std::string(str::trim(value.substr(0, colon))), std::string(str::trim(value.substr(colon + 1)))};
  for (char c : v.transport)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return Error::perm("'" + str::printable(v.transport, 60) + "' is not a transport name");
  return v;
}

Result<TransportResolver> TransportResolver::create(const config::Config& cfg) {
  TransportResolver r;
  for (const auto& spec : cfg.list("transport_maps")) {
    auto t = maps::open_table(spec);
    if (!t) return cfg.error("transport_maps", t.error().detail);
    r.maps_.push_back(*t);
  }
  auto d = parse_transport_value(cfg.get("default_transport"));
  if (!d) return cfg.error("default_transport", d.error().detail + " (expected e.g. smtp or error:text)");
  r.default_ = *d;
  if (r.default_.transport.empty()) r.default_.transport = "smtp";
  r.relayhost_ = cfg.get("relayhost");
  if (!r.relayhost_.empty()) {
    auto h = dns::parse_next_hop(r.relayhost_);
    if (!h) return cfg.error("relayhost", h.error().detail + " (expected [host]:port or a domain)");
  }
  // The default must make sense for every domain.
  if (auto f = r.finish(r.default_, "example.com", "default_transport"); !f)
    return cfg.error("default_transport", f.error().detail);
  return r;
}

Result<Transport> TransportResolver::finish(const TransportValue& v, std::string_view domain,
                                            std::string_view where) const {
  std::string name = v.transport.empty() ? default_.transport : v.transport;
  Transport t;
  if (name == "error" || name == "discard") {
    t.kind = name == "error" ? Transport::Kind::error : Transport::Kind::discard;
    t.text = v.nexthop;
    if (t.kind == Transport::Kind::error) {
      auto sp = t.text.find(' ');
      std::string_view first = std::string_view(t.text).substr(0, sp);
      t.dsn = is_status(first) ? std::string(first) : "5.0.0";
      if (t.text.empty()) t.text = "mail for this destination is refused (" + std::string(where) + ")";
    }
    return t;
  }
  if (name != "smtp" && name != "relay")
    return Error::perm("transport '" + str::printable(name, 60) + "' (" + std::string(where) +
                       ") is not one tern has for remote domains: use smtp, relay, error or discard");
  std::string hop = !v.nexthop.empty() ? v.nexthop : !relayhost_.empty() ? relayhost_ : std::string(domain);
  auto h = dns::parse_next_hop(hop);
  if (!h) return Error::perm("next hop '" + str::printable(hop, 100) + "' (" + std::string(where) + "): " + h.error().detail);
  t.hop = *h;
  return t;
}

Result<Transport> TransportResolver::resolve(std::string_view address) const {
  auto at = address.rfind('@');
  std::string domain = str::lower(at == std::string_view::npos ? std::string_view() : address.substr(at + 1));
  if (!maps_.empty()) {
    std::vector<std::string> keys{str::lower(address), domain};
    for (size_t dot = domain.find('.'); dot != std::string::npos; dot = domain.find('.', dot + 1))
      keys.push_back(domain.substr(dot));
    keys.push_back("*");
    for (const auto& key : keys) {
      if (key.empty()) continue;
      for (const auto& m : maps_) {
        auto l = m->lookup(key);
        if (l.status == maps::Status::try_again)
          return Error::with_dsn("4.3.0", "transport_maps " + m->spec() + " is not available: " + l.detail);
        if (!l.found()) continue;
        auto v = parse_transport_value(l.value);
        if (!v) return Error::with_dsn("4.3.5", m->spec() + ", key " + str::printable(key, 100) + ": " + v.error().detail);
        auto t = finish(*v, domain, m->spec());
        if (!t) return Error::with_dsn("4.3.5", t.error().detail);
        return t;
      }
    }
  }
  if (domain.empty()) return Error::with_dsn("5.1.3", "recipient address has no domain");
  return finish(default_, domain, "default_transport");
}

}  // namespace tern::remote
