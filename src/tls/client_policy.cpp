// Implementation of the smtp_tls_policy_maps parser and lookup (see client_policy.h).
#include "tls/client_policy.h"

#include "base/strings.h"

namespace tern::tls {

std::string_view level_name(io::TlsLevel level) {
  switch (level) {
    case io::TlsLevel::none:
      return "none";
    case io::TlsLevel::may:
      return "may";
    case io::TlsLevel::encrypt:
      return "encrypt";
    case io::TlsLevel::verify:
      return "verify";
  }
  return "may";
}

Result<io::TlsLevel> parse_level(std::string_view word) {
  std::string w = str::lower(word);
  if (w == "none") return io::TlsLevel::none;
  if (w == "may") return io::TlsLevel::may;
  if (w == "encrypt") return io::TlsLevel::encrypt;
  if (w == "verify" || w == "secure") return io::TlsLevel::verify;
  std::string shown = str::printable(word, 60);
  if (w == "dane" || w == "dane-only" || w == "fingerprint")
    return Error::perm("TLS level '" + shown + "' is not supported by tern: use verify (or encrypt)");
  return Error::perm("unknown TLS level '" + shown + "': use none, may, encrypt or verify");
}

Result<io::TlsLevel> parse_policy(std::string_view value) {
  auto words = str::split_list(value);
  if (words.empty()) return Error::perm("empty TLS policy: write none, may, encrypt or verify");
  auto level = parse_level(words[0]);
  if (!level) return level;
  if (words.size() > 1) {
    std::string attr = str::printable(words[1], 60);
    return Error::perm("TLS policy attribute '" + attr +
                       "' is not supported by tern: write the level alone (protocols and ciphers come from "
                       "smtp_tls_protocols, smtp_tls_mandatory_protocols and smtp_tls_ciphers)");
  }
  return level;
}

std::vector<std::string> policy_keys(std::string_view next_hop, std::string_view recipient_domain) {
  std::string hop = str::lower(next_hop.empty() ? recipient_domain : next_hop);
  std::vector<std::string> keys;
  if (hop.empty()) return keys;
  keys.push_back(hop);
  if (hop.front() == '[') return keys;  // a named host: no parent domains
  if (auto colon = hop.rfind(':'); colon != std::string::npos) {
    hop.resize(colon);
    if (hop.empty()) return keys;
    keys.push_back(hop);
  }
  if (hop.back() == '.') hop.pop_back();
  for (size_t dot = hop.find('.'); dot != std::string::npos; dot = hop.find('.', dot + 1))
    if (dot + 1 < hop.size()) keys.push_back(hop.substr(dot));
  return keys;
}

Result<std::optional<io::TlsLevel>> lookup_policy(const std::vector<std::shared_ptr<maps::Table>>& tables,
                                                  std::string_view next_hop, std::string_view recipient_domain) {
  auto keys = policy_keys(next_hop, recipient_domain);
  for (const auto& key : keys)
    for (const auto& t : tables) {
      auto found = t->lookup(key);
      std::string where = t->spec() + " key " + str::printable(key, 100);
      if (found.status == maps::Status::try_again)
        return Error::with_dsn("4.7.5", "TLS policy lookup error: " + where + ": " + found.detail);
      if (!found.found()) continue;
      auto level = parse_policy(found.value);
      if (!level) return Error::with_dsn("4.7.5", "TLS policy lookup error: " + where + ": " + level.error().detail);
      return std::optional<io::TlsLevel>(*level);
    }
  return std::optional<io::TlsLevel>();
}

}  // namespace tern::tls
