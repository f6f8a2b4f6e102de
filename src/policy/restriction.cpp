// The restriction-list parser (see restriction.h).
#include "policy/restriction.h"

#include <array>
#include <utility>

#include <fmt/format.h>

#include "base/strings.h"
#include "config/config.h"

namespace tern::policy {
namespace {

using K = RestrictionKind;

constexpr std::array<std::pair<K, std::string_view>, 14> kNames{{
    {K::permit, "permit"},
    {K::reject, "reject"},
    {K::defer, "defer"},
    {K::permit_mynetworks, "permit_mynetworks"},
    {K::permit_sasl_authenticated, "permit_sasl_authenticated"},
    {K::permit_auth_destination, "permit_auth_destination"},
    {K::reject_unauth_destination, "reject_unauth_destination"},
    {K::defer_unauth_destination, "defer_unauth_destination"},
    {K::reject_sender_login_mismatch, "reject_sender_login_mismatch"},
    {K::permit_pop_before_smtp, "permit_pop_before_smtp"},
    {K::check_client_access, "check_client_access"},
    {K::check_helo_access, "check_helo_access"},
    {K::check_sender_access, "check_sender_access"},
    {K::check_recipient_access, "check_recipient_access"},
}};

const std::pair<K, std::string_view>* find(std::string_view word) {
  for (auto& e : kNames)
    if (str::iequals(e.second, word)) return &e;
  return nullptr;
}

// Postfix restrictions tern does not implement, which an admin may copy
// from a Postfix main.cf: named as such rather than as typos.
bool is_postfix_only(std::string_view word) {
  static constexpr std::array<std::string_view, 12> kOthers{
      "reject_unknown_recipient_domain", "reject_unknown_sender_domain", "reject_rbl_client",
      "reject_unknown_client_hostname",  "reject_invalid_helo_hostname", "reject_non_fqdn_sender",
      "reject_non_fqdn_recipient",       "reject_unlisted_recipient",    "check_policy_service",
      "defer_if_permit",                 "reject_unknown_helo_hostname", "permit_tls_clientcerts"};
  for (auto o : kOthers)
    if (str::iequals(o, word)) return true;
  return false;
}

}  // namespace

std::string_view restriction_name(RestrictionKind k) {
  for (auto& e : kNames)
    if (e.first == k) return e.second;
  return "?";
}

bool takes_table(RestrictionKind k) {
  return k == K::check_client_access || k == K::check_helo_access || k == K::check_sender_access ||
         k == K::check_recipient_access;
}

Result<std::vector<RestrictionSpec>> parse_restrictions(const std::vector<std::string>& words) {
  std::vector<RestrictionSpec> out;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    const auto* e = find(w);
    if (!e) {
      std::string shown = str::printable(w, 80);
      if (is_postfix_only(w))
        return Error::perm(fmt::format("restriction '{}' is not supported by tern; remove it", shown));
      if (w.find(':') != std::string::npos)
        return Error::perm(fmt::format("table '{}' without a check_*_access before it; write e.g. "
                                       "'check_client_access {}'",
                                       shown, shown));
      std::vector<std::string_view> names;
      for (auto& n : kNames) names.push_back(n.second);
      std::string near = config::nearest_word(w, names);
      if (!near.empty())
        return Error::perm(fmt::format("unknown restriction '{}'; did you mean '{}'?", shown, near));
      return Error::perm(fmt::format("unknown restriction '{}'; see docs/configuration.md for the list", shown));
    }
    RestrictionSpec spec{e->first, {}};
    if (takes_table(e->first)) {
      // The table is the next word; a restriction name there means it is missing.
      if (i + 1 >= words.size() || find(words[i + 1]))
        return Error::perm(fmt::format("{} needs a table after it, e.g. '{} texthash:/etc/tern/{}'", e->second,
                                       e->second, e->second.substr(6)));
      if (words[i + 1].find(':') == std::string::npos) {
        std::string shown = str::printable(words[i + 1], 80);
        return Error::perm(fmt::format("{}: table '{}' has no type; write type:name, e.g. 'texthash:{}'", e->second,
                                       shown, shown));
      }
      spec.table = words[++i];
    }
    out.push_back(std::move(spec));
  }
  return out;
}

}  // namespace tern::policy
