// libFuzzer target: the dovecot-keywords parser (a file other programs
// write). It must not crash; every name it keeps is a valid keyword atom,
// no name twice; and its table survives format -> parse unchanged.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "store/keywords.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto table = tern::store::parse_keywords(in);
  for (size_t i = 0; i < table.size(); ++i) {
    if (table[i].empty()) continue;
    if (!tern::store::keyword_ok(table[i])) __builtin_trap();
    if (tern::store::keyword_letter(table, table[i]) != static_cast<char>('a' + i)) __builtin_trap();
  }
  if (tern::store::parse_keywords(tern::store::format_keywords(table)) != table) __builtin_trap();
  return 0;
}
