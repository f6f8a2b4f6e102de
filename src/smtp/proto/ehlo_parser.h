// EhloCapabilities: what a remote server offers in its EHLO reply (RFC 5321
// 4.1.1.1), parsed from a complete Reply that ReplyParser produced.
//
// SECURITY: the reply is untrusted. Keywords are matched case-insensitively;
// a line that is not an ehlo-line (bad keyword characters, empty, junk) is
// skipped, never an error: a server's junk must not stop delivery. SIZE with
// no number, a malformed one, 0 or one beyond 2^63 means "no limit
// announced". AUTH mechanism names are kept only when they are RFC 4422
// names (A-Z 0-9 - _, at most 20), upper-cased, each once, at most 32.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "smtp/proto/reply.h"

namespace tern::smtp {

struct EhloCapabilities {
  std::string server_name;  // first word of the first line (printable ASCII, at most 255)
  bool pipelining = false;
  bool size = false;        // SIZE offered
  uint64_t size_limit = 0;  // SIZE n: the largest message it takes; 0 = none announced
  bool eightbitmime = false;
  bool smtputf8 = false;
  bool chunking = false;
  bool binarymime = false;
  bool dsn = false;
  bool starttls = false;
  bool enhancedstatuscodes = false;
  std::vector<std::string> auth;  // SASL mechanisms ("PLAIN", "LOGIN"), from AUTH and AUTH=

  bool offers_auth(std::string_view mechanism) const;
};

// Parses the lines of a 250 EHLO reply. Other codes give no capabilities.
EhloCapabilities parse_ehlo(const Reply& reply);

}  // namespace tern::smtp
