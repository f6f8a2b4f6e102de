// libFuzzer target: splitting alias right-hand sides into items. Checks that
// an odd number of double quotes is refused, that items are never empty and
// never keep a quote, and that the items are made of the input's bytes only.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rewrite/alias_list.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto items = tern::rewrite::split_alias_list(in);
  bool odd = std::count(in.begin(), in.end(), '"') % 2 != 0;
  if (odd != !items) __builtin_trap();
  if (!items) return 0;
  size_t total = 0;
  for (auto& item : *items) {
    if (item.empty() || item.find('"') != std::string::npos) __builtin_trap();
    total += item.size();
  }
  if (total > size) __builtin_trap();
  return 0;
}
