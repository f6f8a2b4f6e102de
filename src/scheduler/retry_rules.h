// Retry rules in Exim's form (the `retry_rules` parameter, tern's own;
// Postfix has none): how long a deferred message waits before its next
// attempt and when it is given up, per destination domain and kind of
// failure. Empty: the Postfix back-off (minimal_backoff_time doubling to
// maximal_backoff_time) applies instead.
//
//   retry_rules = * * F,2h,15m; G,16h,1h,1.5; F,4d,8h
//       example.net  refused  F,1h,5m
//
// A rule is a domain pattern (`*`, `example.com`, `*.example.com`,
// `*@example.com`), an error type (`*`, `refused`, `timeout`, ...; the list
// is in docs/behaviour.md) and parameter sets separated by `;`. main.cf joins
// continuation lines with spaces, so a parameter set NOT followed by `;`
// ends its rule and the next word starts the next one; a rule with no
// parameter set means "never retry". Times take Exim's units s m h d w,
// combined as in 1h30m.
//
//   F,<cutoff>,<interval>           every <interval>
//   G,<cutoff>,<interval>,<factor>  <interval>, then the previous one times <factor>
//   H,<cutoff>,<interval>,<factor>  as G, then a random point in the upper half
//                                   between <interval> and that (Exim's H)
//
// A set applies while the time since the first failure is under its
// cutoff; past the last cutoff the rule says "give up". The first rule that
// matches wins (Exim). This file is pure: no clock, no randomness of its
// own (the caller passes a Random), no I/O. SECURITY: the value comes from
// main.cf (the administrator), but the parser is bounded and fuzzed
// (retry_rules_fuzz) like every parser of file input.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/config.h"

namespace tern::scheduler::retry {

// What failed, as far as a deferral reason tells (retry_failure.h reads it).
struct Failure {
  enum class Kind { other, refused, timeout_connect, timeout, lost_connection, reply_4xx, auth_failed, tls_required, quota };
  enum class Stage { none, mail, rcpt, data };  // reply_4xx: the command answered
  Kind kind = Kind::other;
  Stage stage = Stage::none;
  int code = 0;  // reply_4xx: 400..499
};

// The error field of a rule.
struct ErrorMatch {
  Failure::Kind kind = Failure::Kind::other;  // `other` here: `*`, any failure
  Failure::Stage stage = Failure::Stage::none;
  std::string code;  // reply_4xx: "4xx", "45x", "451"
  bool matches(const Failure& f) const;
};

struct ParamSet {
  char algorithm = 'F';   // F, G or H
  long long cutoff_s = 0;
  long long interval_s = 0;
  double factor = 1.0;    // G and H
};

struct Rule {
  std::string domain;  // lower case: "*", "example.com" or "*.example.com"
  ErrorMatch error;
  std::vector<ParamSet> sets;  // cutoffs increase; empty: never retry
  std::string text;            // as written, for logs and errors
  bool matches(std::string_view domain, const Failure& f) const;
  long long final_cutoff_s() const { return sets.empty() ? 0 : sets.back().cutoff_s; }
};

using Rules = std::vector<Rule>;

// Limits: main.cf is the administrator's, but a value is still bounded so
// that the arithmetic cannot overflow and a typo cannot make a huge table.
inline constexpr long long max_time_s = 10LL * 366 * 86400;  // ten years
inline constexpr double max_factor = 100.0;
inline constexpr size_t max_rules = 1000;
inline constexpr size_t max_sets_per_rule = 100;

// One time in Exim's units: "15m", "1h30m", "2d"; a unit is required.
Result<long long> parse_time(std::string_view text);
// The value of retry_rules; the error says which rule and the fix (no
// parameter name: the caller adds it).
Result<Rules> parse(std::string_view value);
// retry_rules of a configuration: errors as "main.cf:LINE: retry_rules: ...".
Result<Rules> parse(const config::Config& cfg);

// The first rule matching a domain (lower case) and a failure; null: none.
const Rule* find_rule(const Rules& rules, std::string_view domain, const Failure& f);

// A number in [0, bound) (bound >= 1); H rules draw from it.
using Random = std::function<long long(long long bound)>;

struct Step {
  bool give_up = false;   // past the rule's last cutoff (or it has no set)
  long long delay_s = 0;  // else: the wait before the next attempt, >= 1
};

// Exim's arithmetic for one failure `age_s` after the first failure, the
// previous wait having been `previous_s` (0: none known). The delay never
// takes the next attempt past the final cutoff, so the last attempt is made
// at the cutoff and its failure gives up.
Step next_retry(const Rule& rule, long long age_s, long long previous_s, const Random& random);

}  // namespace tern::scheduler::retry
