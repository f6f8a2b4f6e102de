// libFuzzer target: modified UTF-7. Properties: decode(encode(x)) == x for
// valid UTF-8; and since decoding accepts only the canonical form,
// encode(decode(y)) == y whenever y decodes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "imap/proto/mutf7.h"

using namespace tern::imap;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto enc = mutf7_encode(in);
  if (enc.has_value() != valid_utf8(in)) __builtin_trap();
  if (enc) {
    auto back = mutf7_decode(*enc);
    if (!back || *back != in) __builtin_trap();
  }
  if (auto dec = mutf7_decode(in)) {
    auto again = mutf7_encode(*dec);
    if (!again || *again != in) __builtin_trap();
  }
  return 0;
}
