// Canonical: the address rewriting Postfix's cleanup(8) does once, as a
// message enters the queue: canonical_maps, sender_canonical_maps and
// recipient_canonical_maps, then masquerade_domains. Used by queue::Draft
// (the one way into the queue, for SMTP and sendmail alike) on the envelope
// and, through CanonicalHeaders (canonical_headers.h), on the address
// headers; the delivery-time expansion (aliases, virtual aliases) is the
// Rewriter's and sees the rewritten addresses.
//
// Lookups, as Postfix's canonical(5): "user+ext@domain", "user@domain",
// then for local domains ($myorigin, $mydestination) "user+ext" and "user",
// then "@domain". A result "@other" keeps the local part; a match without
// the +ext passes it on when propagate_unmatched_extensions lists
// canonical. Sender addresses go through sender_canonical_maps, then
// canonical_maps; recipients through recipient_canonical_maps, then
// canonical_maps; each table list only for the classes its *_classes
// parameter names. Masquerading (masquerade_domains, first match wins, a
// "!domain" entry stops it; masquerade_exceptions: local parts left alone)
// strips the host part: user@host.example.com -> user@example.com.
//
// SECURITY: addresses come from clients; they are only keys to the
// administrator's tables (lower-cased), never expanded.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "maps/table.h"

namespace tern::rewrite {

class Canonical {
 public:
  // The address classes of canonical_classes and masquerade_classes.
  enum Class : unsigned { envelope_sender = 1, envelope_recipient = 2, header_sender = 4, header_recipient = 8 };

  // Opens the tables; a configuration error names the parameter.
  static Result<std::shared_ptr<const Canonical>> create(const config::Config& cfg);

  // Whether anything would ever change an address of these classes
  // (nothing configured: the queue skips the work).
  bool active(unsigned classes) const;
  // One address of one class; "" (the null sender) stays "". Temporary
  // error (4.3.0) when a table cannot answer.
  Result<std::string> rewrite(const std::string& address, Class c) const;

 private:
  struct Maps {
    std::vector<std::shared_ptr<maps::Table>> tables;
    unsigned classes = 0;
    const char* param = "";
  };
  Result<std::string> map(const std::string& address, const Maps& m) const;
  std::string masquerade(const std::string& address) const;

  Maps sender_, recipient_, common_;
  std::vector<std::string> masq_domains_, masq_exceptions_, local_domains_;
  unsigned masq_classes_ = 0;
  std::string delimiter_;
  bool propagate_ = true;
};

}  // namespace tern::rewrite
