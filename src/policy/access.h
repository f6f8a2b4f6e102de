// Access tables in sendmail's access(5) format, as Postfix's access(5)
// reads them too. A key is an IP address, a network prefix by octets
// ("192.168", "10.1.2"), a domain (which also matches its subdomains),
// "user@domain", or "user@"; an optional "Connect:", "From:" or "To:" tag
// limits an entry to one stage. The value is OK, RELAY, REJECT, DISCARD,
// DUNNO, "ERROR:5.7.1:550 text", or "NNN text" with an optional enhanced code.
//
// SECURITY: keys come from the client (addresses, IPs); they are only used
// as lookup keys, never expanded.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "maps/table.h"
#include "policy/verdict.h"

namespace tern::policy {

enum class Stage { connect, mail, rcpt };

class AccessTables {
 public:
  // tagged: also try "Connect:", "From:", "To:" keys (smtpd_access_maps);
  // the tables of check_*_access are looked up untagged, as Postfix does.
  explicit AccessTables(std::vector<std::shared_ptr<maps::Table>> tables, bool tagged = true)
      : tables_(std::move(tables)), tagged_(tagged) {}
  // Looks up a client IP address at connect (and for relay permission).
  Verdict check_client(std::string_view ip) const;
  // Looks up an envelope address at MAIL (stage mail) or RCPT (stage rcpt).
  Verdict check_address(Stage stage, std::string_view address) const;
  // Looks up a host name (the HELO name) and its parent domains.
  Verdict check_domain(Stage stage, std::string_view name) const;

 private:
  Verdict lookup_keys(Stage stage, const std::vector<std::string>& keys) const;
  std::vector<std::shared_ptr<maps::Table>> tables_;
  bool tagged_ = true;
};

// Turns an access-table value into a verdict; bad values give a temporary
// reject (451 4.3.0) so a table typo never lets mail through.
Verdict parse_access_value(std::string_view value);

}  // namespace tern::policy
