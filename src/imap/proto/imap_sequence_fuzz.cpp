// libFuzzer target: sequence sets and date parsing. Properties: a resolved
// set is ascending, disjoint and within 1..max; contains() agrees with it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "imap/proto/search.h"
#include "imap/proto/sequence_set.h"

using namespace tern::imap;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  uint32_t max = static_cast<uint32_t>(data[0]) | static_cast<uint32_t>(data[1]) << 8 |
                 static_cast<uint32_t>(data[2]) << 16 | static_cast<uint32_t>(data[3]) << 24;
  std::string_view in(reinterpret_cast<const char*>(data) + 4, size - 4);
  (void)parse_date(in);
  auto set = parse_sequence_set(in, 1000);
  if (!set) return 0;
  auto rs = set->resolve(max);
  uint64_t prev_end = 0;
  for (auto [a, b] : rs) {
    if (a == 0 || a > b || b > max || (prev_end && a <= prev_end + 1)) __builtin_trap();
    prev_end = b;
  }
  for (uint32_t probe : {1u, max, max / 2, 7u}) {
    if (probe == 0 || probe > max) continue;
    bool in_ranges = false;
    for (auto [a, b] : rs) in_ranges = in_ranges || (probe >= a && probe <= b);
    if (in_ranges != set->contains(probe, max)) __builtin_trap();
  }
  return 0;
}
