// libFuzzer target for the table source parsers (table_text.cpp) and the
// inline: table syntax (inline_table.cpp): any input must give entries or an
// error, never a crash; entries must hold the parser's promises.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "maps/table.h"

namespace {

void check(const tern::Result<std::vector<tern::maps::Entry>>& r) {
  if (!r) {
    if (r.error().detail.empty()) std::abort();
    return;
  }
  for (const auto& e : *r) {
    if (e.key.empty() || e.value.empty() || e.line <= 0) std::abort();
    for (char c : e.key)
      if (c >= 'A' && c <= 'Z') std::abort();  // keys are lower-cased
    if (e.value.front() == ' ' || e.value.back() == ' ') std::abort();  // values are trimmed
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> warnings;
  check(tern::maps::parse_text(text, "fuzz", tern::maps::Format::table, &warnings));
  check(tern::maps::parse_text(text, "fuzz", tern::maps::Format::aliases, &warnings));
  auto t = tern::maps::open_table("inline:{" + std::string(text) + "}");
  if (t) (void)(*t)->lookup(text);
  return 0;
}
