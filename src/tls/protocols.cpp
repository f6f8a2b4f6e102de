// Implementation of the protocol and cipher settings (see protocols.h).
#include "tls/protocols.h"

#include <array>

#include "base/strings.h"

namespace tern::tls {

namespace {

constexpr std::array<std::string_view, 6> kNames{"SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"};

bool find_version(std::string_view name, Version& out) {
  for (size_t i = 0; i < kNames.size(); ++i)
    if (str::iequals(name, kNames[i])) {
      out = static_cast<Version>(i);
      return true;
    }
  return false;
}

Error bad(std::string_view item) {
  return Error::perm("'" + str::printable(item, 60) +
                     "' is not a protocol: write \">=TLSv1.2\", or a list of SSLv2, SSLv3, TLSv1, TLSv1.1, "
                     "TLSv1.2, TLSv1.3, each optionally preceded by ! to exclude it");
}

}  // namespace

std::string_view version_name(Version v) { return kNames[static_cast<size_t>(v)]; }

Result<VersionRange> parse_protocols(std::string_view value) {
  // Postfix 3.6 semantics: ">=" and "<=" bound the range; "!X" excludes X;
  // bare names include. Excluding a version in the middle of the range is
  // not possible with OpenSSL either: the range spans the included ones.
  bool have_lower = false, have_include = false;
  Version lower = Version::sslv2, upper = Version::tlsv1_3;
  std::array<bool, kNames.size()> excluded{}, included{};
  for (const auto& raw : str::split_list(value)) {
    std::string_view item = raw;
    Version v;
    if (item.starts_with(">=") || item.starts_with("<=")) {
      if (!find_version(item.substr(2), v)) return bad(item);
      if (item[0] == '>') {
        have_lower = true;
        lower = v;
      } else {
        upper = v;
      }
    } else if (item.starts_with("!")) {
      if (!find_version(item.substr(1), v)) return bad(item);
      excluded[static_cast<size_t>(v)] = true;
    } else {
      if (!find_version(item, v)) return bad(item);
      included[static_cast<size_t>(v)] = true;
      have_include = true;
    }
  }
  std::array<bool, kNames.size()> on{};
  for (size_t i = 0; i < on.size(); ++i) {
    auto v = static_cast<Version>(i);
    on[i] = (!have_include || included[i]) && !excluded[i] && (!have_lower || v >= lower) && v <= upper;
  }
  VersionRange r;
  // A version below 1.2 the admin asked for by name or by ">=" is worth a
  // word; one merely not excluded ("!SSLv2, !SSLv3") is not.
  for (size_t i = 0; i < static_cast<size_t>(Version::tlsv1_2); ++i)
    if (on[i] && (included[i] || have_lower))
      r.warnings.push_back(std::string(kNames[i]) + " is never offered (RFC 8996); tern offers TLSv1.2 and up");
  bool any = false;
  for (size_t i = static_cast<size_t>(Version::tlsv1_2); i < on.size(); ++i) {
    if (!on[i]) continue;
    if (!any) r.min = static_cast<Version>(i);
    r.max = static_cast<Version>(i);
    any = true;
  }
  if (!any)
    return Error::perm("'" + str::printable(value, 100) +
                       "' leaves neither TLSv1.2 nor TLSv1.3: write \">=TLSv1.2\" (the default)");
  return r;
}

std::string cipher_list(std::string_view grade) {
  // Forward secrecy and AEAD only; ECDSA before RSA, then AES-GCM and
  // ChaCha20 (Mozilla's "intermediate" list). "high" keeps 256-bit
  // ciphers and ChaCha20 only.
  if (grade == "high")
    return "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
           "ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";
  return "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
         "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
         "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";
}

}  // namespace tern::tls
