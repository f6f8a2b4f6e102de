// From DNS answers to a route (see route.h). Error texts follow Postfix's
// ("Host or domain name not found. Name service error for name=... type=MX:
// Host not found"), so bounces and logs read as admins know them.
#include "dns/route.h"

#include <fmt/format.h>

#include <algorithm>

#include "dns/hostname.h"

namespace tern::dns {

const char* rr_type_name(RrType t) {
  switch (t) {
    case RrType::a: return "A";
    case RrType::ptr: return "PTR";
    case RrType::mx: return "MX";
    case RrType::aaaa: return "AAAA";
  }
  return "?";
}

std::string RouteEntry::text() const { return fmt::format("{}[{}]:{}", host, address.text(), port); }

namespace {

RouteError not_found(std::string_view name, RrType type) {
  return {RouteError::Kind::permanent, "5.4.4",
          fmt::format("Host or domain name not found. Name service error for name={} type={}: Host not found", name,
                      rr_type_name(type))};
}

RouteError try_again(std::string_view name, RrType type, std::string_view problem) {
  return {RouteError::Kind::temporary, "4.4.3",
          fmt::format("Host or domain name not found. Name service error for name={} type={}: Host not found, "
                      "try again ({})",
                      name, rr_type_name(type), problem)};
}

// Sorts by preference and shuffles each run of equal preferences (RFC 5321
// §5.1: "randomize them to spread the load").
template <class T, class Pref>
void sort_and_shuffle(std::vector<T>& v, Pref pref, std::mt19937& rng) {
  std::stable_sort(v.begin(), v.end(), [&](const T& x, const T& y) { return pref(x) < pref(y); });
  for (auto it = v.begin(); it != v.end();) {
    auto end = std::find_if(it, v.end(), [&](const T& x) { return pref(x) != pref(*it); });
    std::shuffle(it, end, rng);
    it = end;
  }
}

std::vector<IpAddress> addresses(const Answer& ans, bool v4) {
  std::vector<IpAddress> out;
  if (ans.status != Answer::Status::ok) return out;
  for (auto& r : ans.records) {
    if (out.size() >= kMaxAddressesPerHost) break;
    auto a = v4 ? decode_a(r) : decode_aaaa(r);
    if (a && std::find(out.begin(), out.end(), *a) == out.end()) out.push_back(*a);
  }
  return out;
}

}  // namespace

MxPlan plan_mx(std::string_view domain, const Answer& mx, std::mt19937& rng) {
  MxPlan plan;
  switch (mx.status) {
    case Answer::Status::nxdomain: plan.error = not_found(domain, RrType::mx); return plan;
    case Answer::Status::temporary: plan.error = try_again(domain, RrType::mx, mx.problem); return plan;
    case Answer::Status::nodata:
      // RFC 5321 §5.1: no MX records, the domain is its own host ("implicit MX").
      plan.hosts.push_back({0, std::string(domain)});
      return plan;
    case Answer::Status::ok: break;
  }
  std::vector<MxRecord> records;
  for (auto& r : mx.records) {
    auto rec = decode_mx(r);
    if (!rec) {
      plan.skipped.push_back("an MX record that does not decode");
      continue;
    }
    records.push_back(std::move(*rec));
  }
  sort_and_shuffle(records, [](const MxRecord& r) { return r.preference; }, rng);
  // RFC 7505: "0 ." says the domain takes no mail. Like Postfix, the best
  // record decides: a root target behind real hosts is only skipped.
  if (!records.empty() && (records.front().host.empty() || records.front().host == ".")) {
    plan.error = RouteError{RouteError::Kind::null_mx, "5.1.10",
                            fmt::format("Domain {} does not accept mail (nullMX)", domain)};
    return plan;
  }
  for (auto& r : records) {
    if (r.host.empty() || r.host == ".") {
      plan.skipped.push_back(fmt::format("MX {} .: a null MX among other MX records", r.preference));
      continue;
    }
    if (auto why = hostname_problem(r.host); !why.empty()) {
      // An MX must name a host (RFC 5321 §5.1); "MX 10 192.0.2.1" is skipped.
      plan.skipped.push_back(fmt::format("MX {} {}: not a host name: {}", r.preference, r.host, why));
      continue;
    }
    std::string name = canonical_name(r.host);
    auto same = [&](const MxHost& h) { return h.name == name; };
    if (std::find_if(plan.hosts.begin(), plan.hosts.end(), same) != plan.hosts.end()) continue;
    if (plan.hosts.size() >= kMaxMxHosts) {
      plan.skipped.push_back(fmt::format("MX {} {}: beyond the first {} hosts", r.preference, name, kMaxMxHosts));
      continue;
    }
    plan.hosts.push_back({r.preference, std::move(name)});
  }
  if (plan.hosts.empty()) {
    std::string why;
    for (auto& s : plan.skipped) why += (why.empty() ? "" : "; ") + s;
    plan.error = RouteError{RouteError::Kind::permanent, "5.4.4",
                            fmt::format("No usable MX host for {}: {}", domain, why)};
  }
  return plan;
}

RouteResult assemble_route(std::string_view destination, const std::vector<HostAnswers>& hosts, uint16_t port,
                           const RouteSettings& settings, std::vector<std::string> skipped, std::mt19937& rng) {
  RouteResult res;
  std::optional<RouteError> first_temporary;
  // Within one MX preference, the preferred family first; the hosts keep
  // their (shuffled) order inside each family.
  size_t i = 0;
  while (i < hosts.size()) {
    size_t end = i;
    while (end < hosts.size() && hosts[end].host.preference == hosts[i].host.preference) ++end;
    bool v4_first = settings.preference == AddressPreference::ipv4 ||
                    (settings.preference == AddressPreference::any && (rng() & 1));
    for (int pass = 0; pass < 2; ++pass) {
      bool v4 = (pass == 0) == v4_first;
      for (size_t h = i; h < end; ++h)
        for (auto& a : addresses(v4 ? hosts[h].a : hosts[h].aaaa, v4))
          res.route.entries.push_back({hosts[h].host.name, a, port, hosts[h].host.preference});
    }
    for (size_t h = i; h < end; ++h) {
      auto& ha = hosts[h];
      bool has = !addresses(ha.a, true).empty() || !addresses(ha.aaaa, false).empty();
      if (has) continue;
      const Answer* temp = ha.a.status == Answer::Status::temporary      ? &ha.a
                           : ha.aaaa.status == Answer::Status::temporary ? &ha.aaaa
                                                                         : nullptr;
      RrType type = temp == &ha.aaaa ? RrType::aaaa : RrType::a;
      if (temp) {
        if (!first_temporary) first_temporary = try_again(ha.host.name, type, temp->problem);
        skipped.push_back(fmt::format("{}: address lookup failed, try again ({})", ha.host.name, temp->problem));
      } else {
        skipped.push_back(fmt::format("{}: no address records", ha.host.name));
      }
    }
    i = end;
  }
  if (settings.mx_address_limit > 0 && res.route.entries.size() > static_cast<size_t>(settings.mx_address_limit)) {
    skipped.push_back(fmt::format("{} more address(es) beyond smtp_mx_address_limit = {}",
                                  res.route.entries.size() - settings.mx_address_limit, settings.mx_address_limit));
    res.route.entries.resize(settings.mx_address_limit);
  }
  res.route.skipped = std::move(skipped);
  res.route.session_limit = settings.mx_session_limit;
  if (!res.route.entries.empty()) return res;
  // Nothing to try: "try again" if any lookup may yet succeed, else permanent.
  if (first_temporary) {
    res.error = first_temporary;
  } else if (hosts.size() <= 1) {
    // One host (no MX, or [host]): "not found", naming it.
    res.error = not_found(hosts.empty() ? destination : std::string_view(hosts[0].host.name), RrType::a);
  } else {
    std::string why;
    for (auto& s : res.route.skipped) why += (why.empty() ? "" : "; ") + s;
    res.error = RouteError{RouteError::Kind::permanent, "5.4.4", fmt::format("No usable MX host for {}: {}", destination, why)};
  }
  return res;
}

}  // namespace tern::dns
