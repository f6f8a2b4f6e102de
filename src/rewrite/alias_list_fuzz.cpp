// libFuzzer target: splitting alias right-hand sides into items.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rewrite/alias_list.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t total = 0;
  for (auto& item : tern::rewrite::split_alias_list(in)) {
    if (item.empty()) __builtin_trap();
    total += item.size();
  }
  if (total > size) __builtin_trap();
  return 0;
}
