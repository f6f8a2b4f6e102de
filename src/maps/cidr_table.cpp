// cidr:/path: a table keyed by network prefixes (Postfix cidr_table(5)),
// used for access decisions on the client address. Each line is
// "network/prefix value" (or a bare address); the lookup key is an IP address
// string and the first line whose network contains it wins, so order in the
// file matters (specific networks before broad ones).
//
// Not supported (yet) from Postfix: "!pattern" negation and if/endif blocks;
// such lines are refused with file:line, never silently misread.
//
// SECURITY: parses an administrator's file with parse_text (comments,
// continuation lines) and Cidr::parse_checked; a malformed or host-bits-set
// pattern is an error naming file:line, so a typo cannot widen an access
// rule. Lookups read an immutable vector: safe from several threads.
#include <fmt/format.h>

#include "maps/cidr.h"
#include "maps/table_types.h"

namespace tern::maps {
namespace {

class CidrTable final : public Table {
 public:
  struct Rule {
    Cidr net;
    std::string value;
  };

  CidrTable(std::string spec, std::vector<Rule> rules) : spec_(std::move(spec)), rules_(std::move(rules)) {}

  Lookup lookup(std::string_view key) const override {
    auto addr = IpAddress::parse(key);
    if (!addr) return {};
    for (const auto& r : rules_)
      if (r.net.contains(*addr)) return {Status::found, r.value, {}};
    return {};
  }

  const std::string& spec() const override { return spec_; }

 private:
  std::string spec_;
  std::vector<Rule> rules_;
};

}  // namespace

namespace detail {

Result<std::shared_ptr<Table>> open_cidr(std::string spec, const std::string& path) {
  auto text = read_source(path);
  if (!text) return text.error();
  // Identical patterns are dropped by parse_text with a warning; with "first
  // match wins" the later one could never match anyway.
  auto entries = parse_text(*text, path, Format::table, nullptr);
  if (!entries) return entries.error();
  std::vector<CidrTable::Rule> rules;
  rules.reserve(entries->size());
  for (auto& e : *entries) {
    if (!e.key.empty() && e.key.front() == '!')
      return Error::perm(fmt::format("{}:{}: negated patterns ('!') are not supported", path, e.line));
    if (e.key == "if" || e.key == "endif")
      return Error::perm(fmt::format("{}:{}: if/endif blocks are not supported", path, e.line));
    auto c = Cidr::parse_checked(e.key);
    if (!c) return Error::perm(fmt::format("{}:{}: {}", path, e.line, c.error().detail));
    rules.push_back({*c, std::move(e.value)});
  }
  return std::shared_ptr<Table>(std::make_shared<CidrTable>(std::move(spec), std::move(rules)));
}

}  // namespace detail
}  // namespace tern::maps
