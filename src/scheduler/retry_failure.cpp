// Reads a deferral reason back into a retry::Failure (see retry_failure.h).
#include "scheduler/retry_failure.h"

namespace tern::scheduler::retry {

namespace {

bool starts(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool has(std::string_view s, std::string_view p) { return s.find(p) != std::string_view::npos; }
bool ends(std::string_view s, std::string_view p) { return s.size() >= p.size() && s.substr(s.size() - p.size()) == p; }

// "... said: 451 ... (in reply to RCPT TO command)"
Failure reply(std::string_view reason) {
  Failure f;
  auto said = reason.find(" said: ");
  auto in = reason.rfind(" (in reply to ");
  if (said == std::string_view::npos || in == std::string_view::npos || in < said || !ends(reason, " command)")) return f;
  std::string_view code = reason.substr(said + 7, 3);
  if (code.size() != 3 || code[0] != '4' || code[1] < '0' || code[1] > '9' || code[2] < '0' || code[2] > '9') return f;
  std::string_view command = reason.substr(in + 14);
  using S = Failure::Stage;
  if (starts(command, "MAIL FROM ")) f.stage = S::mail;
  else if (starts(command, "RCPT TO ")) f.stage = S::rcpt;
  else if (starts(command, "DATA ") || starts(command, "end of DATA ") || starts(command, "BDAT ")) f.stage = S::data;
  else return f;
  f.kind = Failure::Kind::reply_4xx;
  f.code = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  return f;
}

}  // namespace

Failure classify(std::string_view reason, std::string_view dsn) {
  using K = Failure::Kind;
  // The remote agent's suspension of a dead destination quotes the failure
  // that caused it.
  constexpr std::string_view suspended = "delivery temporarily suspended: ";
  if (starts(reason, suspended)) reason.remove_prefix(suspended.size());
  Failure f;
  if (starts(reason, "connect to ")) {
    if (ends(reason, ": Connection refused")) f.kind = K::refused;
    else if (ends(reason, ": Connection timed out")) f.kind = K::timeout_connect;
    return f;
  }
  if (starts(reason, "conversation with ") && has(reason, " timed out while ")) f.kind = K::timeout;
  else if (starts(reason, "lost connection with ")) f.kind = K::lost_connection;
  else if (starts(reason, "SASL authentication failed")) f.kind = K::auth_failed;
  else if (starts(reason, "TLS is required") || starts(reason, "Cannot start TLS") ||
           starts(reason, "Server certificate not verified"))
    f.kind = K::tls_required;
  else if (has(reason, " said: ")) f = reply(reason);
  else if (dsn == "4.2.2") f.kind = K::quota;
  return f;
}

}  // namespace tern::scheduler::retry
