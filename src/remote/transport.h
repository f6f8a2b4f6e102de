// Transport: where mail for a recipient that is not delivered here goes,
// chosen as Postfix's trivial-rewrite does: a transport_maps entry for the
// address, its domain, a parent domain (".example.com") or "*"; else
// default_transport with relayhost as its next hop when set, else the
// recipient's domain by MX.
//
// Values are Postfix's transport(5) form, "transport:nexthop":
//   smtp:[mail.example.com]:587   smtp to that host, no MX lookup
//   smtp:example.com              smtp by MX of example.com
//   relay:...                     the same as smtp in tern
//   :[10.1.1.1]                   the default transport, this next hop
//   smtp:                         smtp, the default next hop
//   error:5.1.1 no such domain    a bounce with that status and text
//   discard:reason                accepted and dropped
// The parser is pure (fuzzed: transport_maps is a file the admin edits).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "dns/next_hop.h"
#include "maps/table.h"

namespace tern::remote {

struct Transport {
  enum class Kind { smtp, error, discard };
  Kind kind = Kind::smtp;
  dns::NextHop hop;        // smtp
  std::string text;        // error, discard: the words after ':'
  std::string dsn;         // error: "5.1.1" from the text, else "5.0.0"
  // What makes two recipients one batch: "smtp:[mail.example.com]:587".
  std::string key() const;
};

// One transport_maps value or default_transport. `transport` and
// `nexthop` may each be empty (the defaults fill them).
struct TransportValue {
  std::string transport;
  std::string nexthop;
};
Result<TransportValue> parse_transport_value(std::string_view value);

class TransportResolver {
 public:
  // Reads transport_maps, default_transport and relayhost; errors name the
  // parameter, main.cf:LINE and the fix.
  static Result<TransportResolver> create(const config::Config& cfg);
  // The transport for a recipient (lower-case domain). A table that
  // cannot answer now is a temporary error.
  Result<Transport> resolve(std::string_view address) const;

 private:
  Result<Transport> finish(const TransportValue& v, std::string_view domain, std::string_view where) const;
  std::vector<std::shared_ptr<maps::Table>> maps_;
  TransportValue default_;
  std::string relayhost_;
};

}  // namespace tern::remote
