// libFuzzer target: restriction lists (the words of smtpd_*_restrictions).
// Invariants: no more entries than words; a check_*_access entry carries a
// type:name table and no other entry carries one; every kind has a name.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/strings.h"
#include "policy/restriction.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  auto words = tern::str::split_list(std::string_view(reinterpret_cast<const char*>(data), size));
  auto r = tern::policy::parse_restrictions(words);
  if (!r) {
    if (r.error().detail.empty()) __builtin_trap();
    return 0;
  }
  if (r->size() > words.size()) __builtin_trap();
  for (auto& e : *r) {
    if (tern::policy::restriction_name(e.kind) == "?") __builtin_trap();
    bool table = tern::policy::takes_table(e.kind);
    if (table != !e.table.empty()) __builtin_trap();
    if (table && e.table.find(':') == std::string::npos) __builtin_trap();
  }
  return 0;
}
