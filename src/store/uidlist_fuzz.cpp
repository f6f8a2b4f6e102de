// libFuzzer target: the dovecot-uidlist parser, which reads a file in a
// directory other programs write. Whatever the bytes, it must not crash;
// what it accepts has UIDs ascending, next_uid above them, names that stay
// in the folder, and survives format -> parse unchanged. The Maildir file
// name parser runs on every accepted name too, and delivered_before orders
// each name against the one before it as a strict weak order must
// (irreflexive, asymmetric).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "store/maildir_filename.h"
#include "store/uidlist.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto l = tern::store::parse_uidlist(in);
  if (!l) return 0;
  uint32_t prev = 0;
  std::string_view prev_base;
  for (const auto& r : l->records) {
    if (tern::store::delivered_before(r.base, r.base)) __builtin_trap();
    if (tern::store::delivered_before(r.base, prev_base) && tern::store::delivered_before(prev_base, r.base))
      __builtin_trap();
    prev_base = r.base;
    if (r.uid <= prev || r.uid >= l->next_uid || !tern::store::maildir_name_ok(r.base)) __builtin_trap();
    prev = r.uid;
    auto f = tern::store::parse_maildir_filename(r.base);
    if (f.base != r.base) __builtin_trap();  // a base has no info
  }
  if (l->guid.empty()) l->guid = "00000000000000000000000000000000";
  auto formatted = tern::store::format_uidlist(*l);
  auto again = tern::store::parse_uidlist(formatted);
  if (!again || tern::store::format_uidlist(*again) != formatted) __builtin_trap();
  return 0;
}
