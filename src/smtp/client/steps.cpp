// How recipients of a client session get decided (see session_steps.h).
#include "smtp/client/session_steps.h"

namespace tern::smtp::client {

namespace {

char class_of(Outcome o) { return o == Outcome::sent ? '2' : o == Outcome::bounced ? '5' : '4'; }

// "d.d.d" with each part 1-3 digits: anything else from the server is replaced.
bool is_status(std::string_view s) {
  size_t parts = 0, digits = 0;
  for (char c : s) {
    if (c == '.') {
      if (digits == 0) return false;
      ++parts, digits = 0;
    } else if (c < '0' || c > '9' || ++digits > 3) {
      return false;
    }
  }
  return parts == 2 && digits > 0;
}

}  // namespace

std::string dsn_for(const Reply& r, Outcome o) {
  std::string d = is_status(r.enhanced) ? r.enhanced : std::string("4.0.0");
  d[0] = class_of(o);
  return d;
}

void Steps::decide(size_t i, Outcome o, std::string dsn, std::string diagnostic) {
  if (i >= decided.size() || decided[i]) return;
  decided[i] = true;
  if (o == Outcome::pending) o = Outcome::deferred;
  if (!is_status(dsn)) dsn = "4.0.0";
  dsn[0] = class_of(o);
  auto& r = out.recipients[i];
  r.outcome = o;
  r.dsn = std::move(dsn);
  r.diagnostic = std::move(diagnostic);
}

void Steps::decide_all(Outcome o, const std::string& dsn, const std::string& diagnostic) {
  for (size_t i = 0; i < decided.size(); ++i) decide(i, o, dsn, diagnostic);
}

void Steps::fail_host(const std::string& diagnostic, const std::string& dsn) {
  out.try_next_host = true;
  if (host_failure.empty()) host_failure = diagnostic, host_dsn = dsn;
  decide_all(Outcome::deferred, dsn, diagnostic);
}

void Steps::host_refused(const Reply& r, std::string_view command) {
  if (r.closes()) hung_up = true;
  fail_host(conv.said(r, command), dsn_for(r, Outcome::deferred));
}

}  // namespace tern::smtp::client
