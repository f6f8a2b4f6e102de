// Fuzz target: the Maildir++ maildirsize file other programs write
// (quota.h). Whatever the bytes, parse_maildirsize returns or refuses; a
// header it writes reads back as the same limits.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "store/quota.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = tern::store::parse_maildirsize(text);
  if (m) {
    auto again = tern::store::parse_maildirsize(tern::store::maildirsize_header(m->limits) + "\n0 0\n");
    if (!again || again->limits.storage_bytes != m->limits.storage_bytes ||
        again->limits.messages != m->limits.messages)
      std::abort();
  }
  (void)tern::store::parse_quota_rule(text);
  (void)tern::store::quota_rule_from_extra(text);
  return 0;
}
