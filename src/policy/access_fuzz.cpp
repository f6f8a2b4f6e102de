// libFuzzer target: access-table values (sendmail access(5) actions).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "policy/access.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto v = tern::policy::parse_access_value(in);
  if (v.rejects() && (v.code < 400 || v.code > 599)) __builtin_trap();
  return 0;
}
