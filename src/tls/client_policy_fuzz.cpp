// libFuzzer target for the smtp_tls_policy_maps value parser and the keys
// a next hop is looked up under: any bytes give a level or an error with
// printable words, never a crash; every key is lower-case and non-empty.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tls/client_policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = tern::tls::parse_policy(in);
  if (r.ok() && tern::tls::parse_level(tern::tls::level_name(*r)).value() != *r) abort();
  if (!r.ok())
    for (unsigned char c : r.error().detail)
      if (c < 0x20 || c >= 0x7f) abort();
  auto cut = in.find('\n');
  auto hop = in.substr(0, cut), domain = cut == std::string_view::npos ? std::string_view() : in.substr(cut + 1);
  for (const auto& k : tern::tls::policy_keys(hop, domain)) {
    if (k.empty()) abort();
    for (char c : k)
      if (c >= 'A' && c <= 'Z') abort();
  }
  return 0;
}
