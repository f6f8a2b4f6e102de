// Config lookups: expanded and typed values, where a value came from,
// overrides for `-o name=value`, and which main.cf a command should read.
#include "config/config.h"

#include <stdlib.h>

#include <fmt/format.h>

#include "base/strings.h"
#include "config/internal.h"

namespace tern::config {

std::string Diagnostic::to_string() const {
  const char* kind = is_error ? "error" : "warning";
  if (line > 0) return fmt::format("{}:{}: {}: {}", file, line, kind, message);
  return fmt::format("{}: {}: {}", file, kind, message);
}

std::string Config::get(std::string_view name) const { return detail::expand_param(*this, name); }

std::vector<std::string> Config::list(std::string_view name) const { return str::split_list(get(name)); }

namespace {

// Typed lookup: the value, else (an override from with() is not checked) the
// table default, else 0/false.
template <class F>
auto typed(const Config& c, std::string_view name, F parse) ->
    typename decltype(parse(std::string_view()))::value_type {
  if (auto v = parse(c.get(name))) return *v;
  if (const ParamDef* def = find_param(name))
    if (auto v = parse(def->default_value)) return *v;
  return {};
}

}  // namespace

long long Config::integer(std::string_view name) const {
  // Accept an integer() call on a size or duration parameter: the number it
  // means, not a silent default.
  if (const ParamDef* def = find_param(name)) {
    if (def->type == Type::size) return bytes(name);
    if (def->type == Type::duration) return seconds(name);
  }
  return typed(*this, name, detail::parse_integer);
}

bool Config::boolean(std::string_view name) const { return typed(*this, name, detail::parse_boolean); }

long long Config::seconds(std::string_view name) const { return typed(*this, name, detail::parse_duration); }

long long Config::bytes(std::string_view name) const { return typed(*this, name, detail::parse_size); }

uint64_t Config::limit_bytes(std::string_view name) const {
  long long v = bytes(name);
  return v <= 0 ? kNoLimit : static_cast<uint64_t>(v);
}

bool Config::is_set(std::string_view name) const {
  for (const auto& [n, v] : raw_)
    if (n == name) return true;
  return false;
}

Error Config::error(std::string_view name, const std::string& detail) const {
  std::string where = origin(name);
  return Error::perm((where == "default" ? "" : where + ": ") + std::string(name) + ": " + detail);
}

std::string Config::origin(std::string_view name) const {
  for (size_t i = raw_.size(); i-- > 0;) {
    if (raw_[i].first != name) continue;
    if (lines_[i] <= 0) return "override";
    return fmt::format("{}:{}", path_, lines_[i]);
  }
  return "default";
}

std::shared_ptr<const Config> Config::with(std::string_view name, std::string_view value) const {
  auto c = std::make_shared<Config>(*this);
  for (size_t i = 0; i < c->raw_.size(); ++i) {
    if (c->raw_[i].first != name) continue;
    c->raw_.erase(c->raw_.begin() + static_cast<std::ptrdiff_t>(i));
    c->lines_.erase(c->lines_.begin() + static_cast<std::ptrdiff_t>(i));
    break;  // raw_ holds each name once
  }
  c->raw_.emplace_back(std::string(name), std::string(value));
  c->lines_.push_back(0);
  return c;
}

std::string locate(const std::string& explicit_path) {
  if (!explicit_path.empty()) return explicit_path;
  const char* env = ::getenv("TERN_CONFIG");
  if (env && *env) return env;
  return "/etc/tern/main.cf";
}

}  // namespace tern::config
