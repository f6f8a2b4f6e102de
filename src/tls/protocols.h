// The TLS settings an admin writes in main.cf, parsed without OpenSSL:
// smtpd_tls_protocols / smtpd_tls_mandatory_protocols in either of
// Postfix's syntaxes (">=TLSv1.2", "<=TLSv1.3", or "!SSLv3, !TLSv1, ..."
// and plain lists "TLSv1.2 TLSv1.3"), and the smtpd_tls_ciphers grade.
//
// tern never offers less than TLS 1.2 (RFC 8996): a setting that asks for
// TLS 1.0 or 1.1 is narrowed to 1.2 with a warning; one that leaves no
// version from 1.2 to 1.3 is an error. Pure, so it is fuzzed
// (protocols_fuzz.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace tern::tls {

// In protocol order; the numbers are no wire values.
enum class Version { sslv2, sslv3, tlsv1, tlsv1_1, tlsv1_2, tlsv1_3 };

struct VersionRange {
  Version min = Version::tlsv1_2;
  Version max = Version::tlsv1_3;
  std::vector<std::string> warnings;  // e.g. "TLSv1 is never offered (RFC 8996)"
};

// Parses a protocols value; the error says what is wrong and what to write.
Result<VersionRange> parse_protocols(std::string_view value);

// "TLSv1.2"
std::string_view version_name(Version v);

// The OpenSSL cipher list (TLS 1.2; TLS 1.3 suites are all AEAD and keep
// OpenSSL's list) for a grade of smtpd_tls_ciphers: "medium" or "high".
std::string cipher_list(std::string_view grade);

}  // namespace tern::tls
