// libFuzzer target: the tern-modseq parser, which reads a file in a folder
// other programs write. Whatever the bytes, it must not crash; what it
// accepts has mod-sequences within 63 bits, the highest above them all, and
// survives compaction -> parse with the same live records.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "store/modseq_log.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  tern::store::ModseqTable t;
  auto r = tern::store::apply_modseq_lines(t, in, false);
  if (!r || !r->header_read) return 0;
  if (r->used > in.size()) __builtin_trap();
  for (const auto& [uid, e] : t.live)
    if (uid == 0 || e.modseq == 0 || e.modseq > t.highest || (e.modseq >> 63) != 0 || e.added == 0 || e.added > e.modseq)
      __builtin_trap();
  for (const auto& [uid, m] : t.expunged)
    if (t.live.count(uid) || m <= t.floor || m > t.highest) __builtin_trap();
  auto live = t.live;
  std::string compact = tern::store::format_modseq_table(t, 3);
  tern::store::ModseqTable again;
  auto r2 = tern::store::apply_modseq_lines(again, compact, false);
  if (!r2 || r2->used != compact.size() || again.live.size() != live.size() || again.expunged.size() > 3)
    __builtin_trap();
  for (const auto& [uid, e] : live)
    if (again.live[uid].modseq != e.modseq || again.live[uid].sig != e.sig || again.live[uid].added != e.added)
      __builtin_trap();
  return 0;
}
