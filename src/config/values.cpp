// Typed value syntax: integers, booleans, durations, sizes and listener
// addresses, plus the messages that tell an admin how to fix a bad value.
// SECURITY: parses text from main.cf (and fuzzed input); every number is
// checked for overflow, nothing is trusted to be short or well formed.
#include <cstdint>
#include <limits>

#include <fmt/format.h>

#include "base/strings.h"
#include "config/internal.h"

namespace tern::config::detail {

namespace {

constexpr long long kMax = std::numeric_limits<long long>::max();
// Counts and times go into int and std::chrono arithmetic in many places
// (a child's time limit, timers in ms): larger ones are refused here rather
// than wrapped there (command_time_limit = 3000000000 became negative and
// killed every command delivery at once).
constexpr long long kMaxCount = std::numeric_limits<int32_t>::max();

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Digits only, no sign; nullopt on overflow.
std::optional<long long> digits(std::string_view s) {
  if (s.empty()) return std::nullopt;
  long long n = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    int d = c - '0';
    if (n > (kMax - d) / 10) return std::nullopt;
    n = n * 10 + d;
  }
  return n;
}

// N followed by an optional one-letter unit from `units` (case-insensitive).
std::optional<long long> scaled(std::string_view v, std::string_view units,
                                const long long* factors) {
  v = str::trim(v);
  long long factor = 1;
  if (!v.empty() && !is_digit(v.back())) {
    char u = static_cast<char>(v.back() | 0x20);  // ASCII lower case
    size_t i = units.find(u);
    if (i == std::string_view::npos) return std::nullopt;
    factor = factors[i];
    v.remove_suffix(1);
  }
  auto n = digits(v);
  if (!n || *n > kMax / factor) return std::nullopt;
  return *n * factor;
}

bool valid_port(std::string_view p) {
  auto n = digits(p);
  return n && *n >= 1 && *n <= 65535;
}

// host:port or [ipv6]:port.
bool valid_listener(std::string_view item) {
  if (!item.empty() && item.front() == '[') {
    size_t close = item.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    if (close + 1 >= item.size() || item[close + 1] != ':') return false;
    return valid_port(item.substr(close + 2));
  }
  size_t colon = item.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view host = item.substr(0, colon);
  if (host.find_first_of(":[]") != std::string_view::npos) return false;
  return valid_port(item.substr(colon + 1));
}

}  // namespace

std::optional<long long> parse_integer(std::string_view v) {
  auto n = digits(str::trim(v));
  if (n && *n > kMaxCount) return std::nullopt;
  return n;
}

std::optional<bool> parse_boolean(std::string_view v) {
  v = str::trim(v);
  for (auto t : {"yes", "true", "on", "1"})
    if (str::iequals(v, t)) return true;
  for (auto f : {"no", "false", "off", "0"})
    if (str::iequals(v, f)) return false;
  return std::nullopt;
}

std::optional<long long> parse_duration(std::string_view v) {
  static constexpr long long f[] = {1, 60, 3600, 86400, 604800};
  auto n = scaled(v, "smhdw", f);
  if (n && *n > kMaxCount) return std::nullopt;
  return n;
}

namespace {

// Digits and at most one letter of `units`: a number, if a wrong one.
bool numeric(std::string_view v, std::string_view units) {
  v = str::trim(v);
  if (!v.empty() && !is_digit(v.back())) {
    if (units.find(static_cast<char>(v.back() | 0x20)) == std::string_view::npos) return false;
    v.remove_suffix(1);
  }
  return !v.empty() && v.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

std::optional<long long> parse_size(std::string_view v) {
  static constexpr long long f[] = {1024, 1024 * 1024, 1024 * 1024 * 1024};
  return scaled(v, "kmg", f);
}

std::string check_value(const ParamDef& def, std::string_view value) {
  switch (def.type) {
    case Type::integer:
      if (!parse_integer(value))
        return numeric(value, "") ? fmt::format("too large: at most {}", kMaxCount) : "expected a whole number such as 100";
      break;
    case Type::boolean:
      if (!parse_boolean(value)) return "expected yes or no";
      break;
    case Type::duration:
      if (!parse_duration(value))
        return numeric(value, "smhdw") ? fmt::format("too long: at most {} seconds (about 68 years)", kMaxCount) :
               "expected a time such as 300s, 5m, 2h, 1d or 1w (a bare number is seconds)";
      break;
    case Type::size:
      if (!parse_size(value)) return "expected a number of bytes such as 10240000 or 10m";
      break;
    case Type::address_list:
      for (const auto& item : str::split_list(value))
        if (!valid_listener(item))
          return fmt::format(
              "'{}' is not host:port or [ipv6]:port with a port from 1 to 65535, "
              "such as 127.0.0.1:25 or [::1]:25",
              str::printable(item, 100));
      break;
    case Type::string:
    case Type::list: {
      auto choices = param_choices(def.name);
      if (choices.empty()) break;
      std::string_view v = str::trim(value);
      for (auto c : choices)
        if (v == c) return "";
      std::string want;
      for (size_t i = 0; i < choices.size(); ++i)
        want += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + std::string(choices[i]);
      return "expected " + want;
    }
  }
  return "";
}

}  // namespace tern::config::detail
