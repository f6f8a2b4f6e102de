// Shared rewriting helpers (see tables.h).
#include "rewrite/tables.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace tern::rewrite {

std::pair<std::string, std::string> split_at(const std::string& address) {
  auto at = address.rfind('@');
  if (at == std::string::npos) return {address, ""};
  std::string domain = str::lower(address.substr(at + 1));
  if (!domain.empty() && domain.back() == '.') domain.pop_back();
  return {address.substr(0, at), domain};
}

bool in_list(const std::vector<std::string>& list, const std::string& domain) {
  for (auto& d : list)
    if (str::iequals(d, domain)) return true;
  return false;
}

std::vector<std::shared_ptr<maps::Table>> open_tables(const config::Config& cfg, const char* param,
                                                      maps::Format format, Status& st) {
  std::vector<std::shared_ptr<maps::Table>> out;
  for (auto& spec : cfg.list(param)) {
    auto t = maps::open_table(spec, format);
    if (!t) {
      st = Error::perm(fmt::format("{}: {}", param, t.error().detail));
      return out;
    }
    out.push_back(*t);
  }
  return out;
}

maps::Lookup first_match(const std::vector<std::shared_ptr<maps::Table>>& tables, const std::string& key) {
  for (auto& t : tables) {
    auto r = t->lookup(key);
    if (r.status != maps::Status::not_found) return r;
  }
  return {};
}

// "b@x" with the unmatched extension "+tag" -> "b+tag@x", as Postfix's
// propagate_unmatched_extensions does (the extension goes before the '@').
std::string with_extension(const std::string& address, const std::string& suffix) {
  if (suffix.empty()) return address;
  auto at = address.rfind('@');
  if (at == std::string::npos) return address + suffix;
  return address.substr(0, at) + suffix + address.substr(at);
}

}  // namespace tern::rewrite
