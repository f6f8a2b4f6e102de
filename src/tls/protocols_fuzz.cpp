// libFuzzer target for the smtpd_tls_protocols parser (protocols.h): any
// accepted value gives a range within TLSv1.2..TLSv1.3, min <= max, and the
// same value parses the same way twice.
#include <stddef.h>
#include <stdint.h>

#include <cstdlib>
#include <string_view>

#include "tls/protocols.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tern::tls::Version;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = tern::tls::parse_protocols(in);
  if (!r) {
    if (r.error().detail.empty()) std::abort();
    return 0;
  }
  if (r->min < Version::tlsv1_2 || r->max > Version::tlsv1_3 || r->min > r->max) std::abort();
  auto again = tern::tls::parse_protocols(in);
  if (!again || again->min != r->min || again->max != r->max) std::abort();
  return 0;
}
