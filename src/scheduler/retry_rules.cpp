// The retry_rules parser and Exim's retry arithmetic (see retry_rules.h).
#include "scheduler/retry_rules.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "base/strings.h"

namespace tern::scheduler::retry {

namespace {

using K = Failure::Kind;
using S = Failure::Stage;

const std::vector<std::string_view>& error_words() {
  static const std::vector<std::string_view> words = {
      "*",        "refused",      "timeout",  "timeout_connect", "lost_connection", "auth_failed",
      "tls_required", "quota",    "mail_4xx", "rcpt_4xx",        "data_4xx"};
  return words;
}

// "4xx", "45x", "452": a 4, then digits, then only x's.
bool valid_code(std::string_view c) {
  if (c.size() != 3 || c[0] != '4') return false;
  bool wild = false;
  for (char ch : c.substr(1)) {
    if (ch == 'x') wild = true;
    else if (ch < '0' || ch > '9' || wild) return false;
  }
  return true;
}

Result<ErrorMatch> parse_error_type(std::string_view w) {
  ErrorMatch m;
  if (w == "*") return m;
  static const std::pair<std::string_view, K> plain[] = {
      {"refused", K::refused},         {"timeout", K::timeout},         {"timeout_connect", K::timeout_connect},
      {"lost_connection", K::lost_connection}, {"auth_failed", K::auth_failed}, {"tls_required", K::tls_required},
      {"quota", K::quota}};
  for (auto& [word, kind] : plain)
    if (w == word) {
      m.kind = kind;
      return m;
    }
  static const std::pair<std::string_view, S> stages[] = {{"mail_", S::mail}, {"rcpt_", S::rcpt}, {"data_", S::data}};
  for (auto& [prefix, stage] : stages)
    if (w.substr(0, prefix.size()) == prefix) {
      auto code = w.substr(prefix.size());
      if (!valid_code(code))
        return Error::perm(fmt::format("error type '{}': expected {}4xx, {}45x or a code such as {}451", w, prefix,
                                       prefix, prefix));
      m.kind = K::reply_4xx;
      m.stage = stage;
      m.code = std::string(code);
      return m;
    }
  if (w == "refused_MX" || w == "refused_A" || w == "timeout_MX" || w == "timeout_A" || w == "timeout_connect_MX" ||
      w == "timeout_connect_A")
    return Error::perm(fmt::format("error type '{}' is not supported: tern does not tell hosts found by MX from "
                                   "address records; use '{}'",
                                   w, w.substr(0, w.rfind('_'))));
  if (w.substr(0, 6) == "quota_")
    return Error::perm(fmt::format("error type '{}' is not supported (tern keeps no mailbox access times); use 'quota'", w));
  std::string hint = config::nearest_word(w, error_words());
  return Error::perm(fmt::format("unknown error type '{}'{}; tern knows * refused timeout timeout_connect "
                                 "lost_connection auth_failed tls_required quota mail_4xx rcpt_4xx data_4xx",
                                 w, hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
}

Result<std::string> parse_domain(std::string_view w) {
  std::string d = str::lower(w);
  if (d.substr(0, 2) == "*@") d = d.substr(2);  // Exim's address form; tern matches domains
  if (d == "*") return d;
  if (d.empty() || d[0] == '^' || d[0] == '+' || d.find('@') != std::string::npos)
    return Error::perm(fmt::format("domain pattern '{}' is not supported: tern matches rules by domain only; "
                                   "write *, example.com or *.example.com",
                                   w));
  std::string_view name = d;
  if (name.substr(0, 2) == "*.") name.remove_prefix(2);
  bool ok = !name.empty() && name.front() != '.' && name.back() != '.';
  for (char c : name)
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_');
  if (!ok)
    return Error::perm(fmt::format("'{}' is not a domain pattern; write *, example.com or *.example.com", w));
  return d;
}

Result<double> parse_factor(std::string_view s) {
  double f = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), f, std::chars_format::fixed);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty() || s[0] == '-' || s[0] == '+')
    return Error::perm(fmt::format("factor '{}' is not a number such as 1.5", s));
  if (!(f >= 1.0) || f > max_factor)
    return Error::perm(fmt::format("factor '{}' must be from 1 to {:g} (the intervals must not shrink)", s, max_factor));
  return f;
}

bool looks_like_set(std::string_view w) {
  return w.size() >= 2 && (w[0] == 'F' || w[0] == 'G' || w[0] == 'H' || w[0] == 'f' || w[0] == 'g' || w[0] == 'h') &&
         w[1] == ',';
}

Result<ParamSet> parse_set(std::string_view w) {
  auto parts = str::split(w, ',');
  ParamSet p;
  p.algorithm = w[0];
  if (p.algorithm != 'F' && p.algorithm != 'G' && p.algorithm != 'H')
    return Error::perm(fmt::format("'{}': the letter is upper case (F, G or H)", w));
  size_t want = p.algorithm == 'F' ? 3 : 4;
  if (parts.size() != want)
    return Error::perm(fmt::format("'{}': expected {}", w,
                                   p.algorithm == 'F' ? "F,<cutoff>,<interval> such as F,2h,15m"
                                                      : std::string(1, p.algorithm) + ",<cutoff>,<interval>,<factor> such as " +
                                                            std::string(1, p.algorithm) + ",16h,1h,1.5"));
  auto cutoff = parse_time(parts[1]);
  if (!cutoff) return Error::perm(fmt::format("'{}': cutoff: {}", w, cutoff.error().detail));
  auto interval = parse_time(parts[2]);
  if (!interval) return Error::perm(fmt::format("'{}': interval: {}", w, interval.error().detail));
  if (*interval <= 0) return Error::perm(fmt::format("'{}': the interval must be at least 1s", w));
  p.cutoff_s = *cutoff;
  p.interval_s = *interval;
  if (want == 4) {
    auto f = parse_factor(parts[3]);
    if (!f) return Error::perm(fmt::format("'{}': {}", w, f.error().detail));
    p.factor = *f;
  }
  return p;
}

// The words of the value, with every ';' a word of its own.
std::vector<std::string> words_of(std::string_view value) {
  std::string spaced;
  for (char c : value) {
    if (c == ';') spaced += " ; ";
    else spaced += (c == '\t' || c == '\n' || c == '\r') ? ' ' : c;
  }
  std::vector<std::string> out;
  for (auto& w : str::split(spaced, ' '))
    if (!w.empty()) out.push_back(w);
  return out;
}

}  // namespace

bool ErrorMatch::matches(const Failure& f) const {
  switch (kind) {
    case K::other:
      return true;  // `*`
    case K::timeout:
      return f.kind == K::timeout || f.kind == K::timeout_connect;
    case K::reply_4xx: {
      if (f.kind != K::reply_4xx || f.stage != stage) return false;
      std::string got = std::to_string(f.code);
      for (size_t i = 0; i < 3; ++i)
        if (code[i] != 'x' && (i >= got.size() || code[i] != got[i])) return false;
      return true;
    }
    default:
      return f.kind == kind;
  }
}

bool Rule::matches(std::string_view d, const Failure& f) const {
  if (!error.matches(f)) return false;
  if (domain == "*") return true;
  if (domain.substr(0, 2) == "*.") {
    std::string_view suffix = std::string_view(domain).substr(1);  // ".example.com"
    return d.size() > suffix.size() && d.substr(d.size() - suffix.size()) == suffix;
  }
  return d == domain;
}

Result<long long> parse_time(std::string_view text) {
  if (text.empty()) return Error::perm("a time is missing (e.g. 15m)");
  long long total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    long long n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      n = n * 10 + (text[i] - '0');
      if (n > max_time_s) return Error::perm(fmt::format("'{}' is too long (at most ten years)", text));
      ++i;
    }
    if (i == start)
      return Error::perm(fmt::format("'{}' is not a time: write a number and a unit (s m h d w), e.g. 15m or 1h30m", text));
    if (i == text.size())
      return Error::perm(fmt::format("'{}' needs a unit after {} (s m h d w), e.g. {}m", text, n, n));
    long long unit = 0;
    switch (text[i]) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      case 'w': unit = 7 * 86400; break;
      default:
        return Error::perm(fmt::format("'{}': unknown unit '{}' (s m h d w)", text, str::printable(text.substr(i, 1))));
    }
    ++i;
    total += n * unit;
    if (total > max_time_s) return Error::perm(fmt::format("'{}' is too long (at most ten years)", text));
  }
  return total;
}

Result<Rules> parse(std::string_view value) {
  auto words = words_of(value);
  Rules rules;
  size_t i = 0;
  while (i < words.size()) {
    if (rules.size() >= max_rules) return Error::perm(fmt::format("more than {} rules", max_rules));
    size_t first = i;
    std::string where = fmt::format("rule {}", rules.size() + 1);
    if (looks_like_set(words[i]) || words[i] == ";")
      return Error::perm(fmt::format("{}: '{}' where a domain pattern was expected (a parameter set not followed by "
                                     "';' ends its rule: join the sets of one rule with ';')",
                                     where, words[i]));
    Rule r;
    auto domain = parse_domain(words[i++]);
    if (!domain) return Error::perm(where + ": " + domain.error().detail);
    r.domain = *domain;
    if (i >= words.size() || looks_like_set(words[i]) || words[i] == ";")
      return Error::perm(fmt::format("{} ({}): the error type is missing; write e.g. '{} * F,2h,15m'", where,
                                     words[first], words[first]));
    auto error = parse_error_type(words[i++]);
    if (!error) return Error::perm(where + ": " + error.error().detail);
    r.error = *error;
    if (i < words.size() && words[i].substr(0, 8) == "senders=")
      return Error::perm(where + ": 'senders=' is not supported: tern matches rules by recipient domain and error only");
    while (i < words.size() && looks_like_set(words[i])) {
      if (r.sets.size() >= max_sets_per_rule) return Error::perm(fmt::format("{}: more than {} parameter sets", where, max_sets_per_rule));
      auto set = parse_set(words[i++]);
      if (!set) return Error::perm(where + ": " + set.error().detail);
      if (!r.sets.empty() && set->cutoff_s <= r.sets.back().cutoff_s)
        return Error::perm(fmt::format("{}: the cutoff of '{}' is not after the one before it, so it would never "
                                       "apply; cutoffs count from the first failure and must increase",
                                       where, words[i - 1]));
      r.sets.push_back(*set);
      if (i < words.size() && words[i] == ";") {
        ++i;
        if (i >= words.size() || !looks_like_set(words[i]))
          return Error::perm(fmt::format("{}: ';' must be followed by another parameter set (F,... G,... or H,...); "
                                         "end a rule without ';'",
                                         where));
      } else {
        break;
      }
    }
    for (size_t k = first; k < i; ++k) r.text += (k == first ? "" : " ") + words[k];
    rules.push_back(std::move(r));
  }
  return rules;
}

Result<Rules> parse(const config::Config& cfg) {
  auto rules = parse(cfg.get("retry_rules"));
  if (!rules) return cfg.error("retry_rules", rules.error().detail);
  return rules;
}

const Rule* find_rule(const Rules& rules, std::string_view domain, const Failure& f) {
  for (auto& r : rules)
    if (r.matches(domain, f)) return &r;
  return nullptr;
}

Step next_retry(const Rule& rule, long long age_s, long long previous_s, const Random& random) {
  if (age_s < 0) age_s = 0;
  const ParamSet* set = nullptr;
  for (auto& s : rule.sets)
    if (age_s < s.cutoff_s) {
      set = &s;
      break;
    }
  if (!set) return {true, 0};
  long long delay = set->interval_s;
  if (set->algorithm != 'F') {
    // Exim: the next gap is the previous one times the factor; G starts at
    // the interval, H draws from the upper half of [interval, that gap].
    double grown = static_cast<double>(std::max(previous_s, 0LL)) * set->factor;
    long long gap = grown >= static_cast<double>(max_time_s) ? max_time_s : static_cast<long long>(grown);
    if (set->algorithm == 'G') {
      delay = previous_s < set->interval_s ? set->interval_s : gap;
    } else if (gap > set->interval_s) {
      long long spread = gap - set->interval_s;
      long long r = random ? random(spread) : 0;
      if (r < 0 || r >= spread) r = 0;
      delay = set->interval_s + spread / 2 + r / 2;
    }
  }
  long long left = rule.final_cutoff_s() - age_s;
  if (delay > left) delay = left;
  return {false, std::max(delay, 1LL)};
}

}  // namespace tern::scheduler::retry
