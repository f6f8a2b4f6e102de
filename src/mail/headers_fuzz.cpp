// libFuzzer target: header-section, address-list and envelope-path parsers.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mail/address.h"
#include "mail/headers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto h = tern::mail::parse_header_section(in, 1000);
  if (h.body_offset > size) __builtin_trap();
  for (auto& f : h.fields)
    if (f.end > size || f.begin > f.end) __builtin_trap();
  (void)tern::mail::extract_addresses(in);
  tern::mail::PathOptions po;
  po.allow_null = true;
  po.allow_utf8 = true;
  auto a = tern::mail::parse_path(in, po);
  if (a) (void)a->str();
  return 0;
}
