// Internal to the config module: the pieces shared by the parser, the getters
// and the tests (value syntax, $name expansion), kept out of config.h so other
// modules only see the snapshot API.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace tern::config::detail {

// Expansion limits: nesting depth (as the brief and Postfix's "unreasonable
// macro call nesting"), total references per lookup, and result length, so a
// hostile or broken main.cf cannot make a lookup loop or grow without bound.
inline constexpr int kMaxDepth = 20;
inline constexpr size_t kMaxReferences = 256;
inline constexpr size_t kMaxExpandedLength = 1u << 20;  // characters copied per lookup

// What went wrong while expanding one value; used for load-time warnings.
struct ExpandReport {
  std::vector<std::string> loops;           // names that refer back to themselves
  std::vector<std::string> unknown;         // $names neither known nor set
  bool too_deep = false;                    // nesting deeper than kMaxDepth
  bool truncated = false;                   // hit kMaxReferences or kMaxExpandedLength
};

// Expands $name, ${name}, $(name), ${name?text}, ${name:text} and $$ in text.
std::string expand(const Config& cfg, std::string_view text, ExpandReport* report = nullptr);
// The fully expanded value of one parameter (set value, computed or table default).
std::string expand_param(const Config& cfg, std::string_view name, ExpandReport* report = nullptr);
// Every $name that text refers to, including inside ${a?...} branches.
std::vector<std::string> references(std::string_view text);
// gethostname(), or "localhost" if that fails.
std::string system_hostname();
// "mail.example.com" -> "example.com"; no dot -> "localdomain".
std::string domain_of(std::string_view hostname);

// Typed value syntax (surrounding white space is ignored).
std::optional<long long> parse_integer(std::string_view v);
std::optional<bool> parse_boolean(std::string_view v);
std::optional<long long> parse_duration(std::string_view v);  // seconds
std::optional<long long> parse_size(std::string_view v);      // bytes
// "" if value is acceptable for def, else what is wrong and how to fix it
// (the text after "name = value: ").
std::string check_value(const ParamDef& def, std::string_view value);

// Allowed words for enumerated string parameters (smtpd_forbid_bare_newline);
// empty if the parameter takes free text.
std::vector<std::string_view> param_choices(std::string_view name);
// Levenshtein distance, ASCII case-insensitive.
size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace tern::config::detail
