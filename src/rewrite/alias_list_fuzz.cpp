// libFuzzer target: splitting alias right-hand sides into items. Checks
// that (without backslash escapes, comments or <addresses>) an odd number
// of double quotes is refused and no item keeps a quote, that items are
// never empty, and that they are no more than the input's bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rewrite/alias_list.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto items = tern::rewrite::split_alias_list(in);
  // Without backslashes (which may keep a quote inside quotes), comments
  // and <addresses> (which may hold quotes as they are), an odd number of
  // quotes is an error, and no item keeps one.
  const bool plain = in.find_first_of("\\(<") == std::string_view::npos;
  bool odd = std::count(in.begin(), in.end(), '"') % 2 != 0;
  if (plain && odd != !items) __builtin_trap();
  if (!items) return 0;
  size_t total = 0;
  for (auto& item : *items) {
    if (item.empty() || (plain && item.find('"') != std::string::npos)) __builtin_trap();
    total += item.size();
  }
  if (total > size) __builtin_trap();
  return 0;
}
