// libFuzzer target: the mbox append record parser, which reads a lock file
// in a directory other users may write. Whatever the bytes, it must not
// crash; a record it accepts must survive format -> parse unchanged, and
// an append it accepts never runs backwards (size_after >= size_before).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "store/mbox_journal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = tern::store::parse_record(in);
  if (!r) return 0;
  if (r->has_append && r->size_after < r->size_before) __builtin_trap();
  auto again = tern::store::parse_record(tern::store::format_record(*r));
  if (!again || again->host != r->host || again->pid != r->pid || again->start_ticks != r->start_ticks ||
      again->boot_id != r->boot_id || again->has_append != r->has_append || again->dev != r->dev ||
      again->ino != r->ino || again->size_before != r->size_before || again->size_after != r->size_after)
    __builtin_trap();
  return 0;
}
