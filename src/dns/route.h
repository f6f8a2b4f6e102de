// Route: the addresses to try for a next hop, in order, and the pure steps
// that make it from DNS answers (RFC 5321 §5.1, RFC 7505, Postfix's
// smtp_address_preference / smtp_mx_address_limit). The lookups themselves
// are in route_lookup.h; everything here is synchronous and deterministic
// given the random generator, so tests pin the order.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "dns/answer.h"
#include "dns/ip_address.h"
#include "dns/records.h"

namespace tern::dns {

enum class AddressPreference { any, ipv4, ipv6 };

struct RouteSettings {
  AddressPreference preference = AddressPreference::any;  // smtp_address_preference
  int mx_address_limit = 5;  // smtp_mx_address_limit (0: no limit beyond the hard caps)
  int mx_session_limit = 2;  // smtp_mx_session_limit, passed on to the SMTP client
};

// Hard caps, whatever the configuration or a hostile answer says: MX hosts
// whose addresses are looked up (two queries each), and addresses kept per
// host and family. So one route costs at most 1 + 2 x 10 queries.
inline constexpr size_t kMaxMxHosts = 10;
inline constexpr size_t kMaxAddressesPerHost = 8;

struct RouteEntry {
  std::string host;  // the MX host or [host]; the address text for a literal
  IpAddress address;
  uint16_t port = 25;
  uint16_t preference = 0;  // MX preference (0 without MX)
  // Postfix's relay= form: "mx1.example.com[192.0.2.1]:25".
  std::string text() const;
};

struct Route {
  std::vector<RouteEntry> entries;    // in the order to try; never empty
  std::vector<std::string> skipped;   // "mx9.example.com: no address records", for the log
  int session_limit = 2;              // smtp_mx_session_limit
};

struct RouteError {
  enum class Kind { permanent, temporary, null_mx };
  Kind kind = Kind::temporary;
  std::string dsn;   // "5.4.4", "4.4.3", "5.1.10"
  std::string text;  // for the log and the bounce, in Postfix's words
  Error to_error() const { return Error::with_dsn(dsn, text); }
};

struct RouteResult {
  std::optional<RouteError> error;
  Route route;
  bool ok() const { return !error; }
};

// --- the pure steps ---------------------------------------------------------

struct MxHost {
  uint16_t preference = 0;
  std::string name;  // canonical
};

// What to look up after the MX query for `domain`: the hosts in the order to
// try (equal preferences shuffled), or an error (NXDOMAIN, try again, null MX,
// no usable host name). No MX records: the domain itself, preference 0.
struct MxPlan {
  std::optional<RouteError> error;
  std::vector<MxHost> hosts;
  std::vector<std::string> skipped;
};
MxPlan plan_mx(std::string_view domain, const Answer& mx, std::mt19937& rng);

// The A and AAAA answers for one host.
struct HostAnswers {
  MxHost host;
  Answer a, aaaa;
};

// The route from the hosts' address answers (in plan order).
RouteResult assemble_route(std::string_view destination, const std::vector<HostAnswers>& hosts, uint16_t port,
                           const RouteSettings& settings, std::vector<std::string> skipped, std::mt19937& rng);

}  // namespace tern::dns
