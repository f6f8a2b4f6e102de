// libFuzzer target: the mbox reader (mbox_parse.h) on any file. Entries
// must lie in order inside the file, the size each is shown with must be
// what mbox_present makes of its bytes, and a header filtered through
// mbox_filter_header must hold no state header. Read in small chunks, so
// the chunked line reader's seams are exercised too.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "store/mbox_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t chunk = 1 + data[0] % 64;
  std::string_view file(reinterpret_cast<const char*>(data) + 1, size - 1);
  tern::store::MboxRead read = [&](uint64_t off, char* buf, size_t n) -> ssize_t {
    if (off >= file.size()) return 0;
    n = std::min({n, file.size() - static_cast<size_t>(off), chunk});
    std::memcpy(buf, file.data() + off, n);
    return static_cast<ssize_t>(n);
  };
  auto idx = tern::store::parse_mbox(file.size(), read);
  if (!idx) return 0;
  uint64_t prev = 0;
  for (const auto& e : idx->entries) {
    if (e.from_off < prev || e.header_off > e.body_off || e.body_off > e.end_off || e.end_off > e.next_off ||
        e.next_off > file.size())
      __builtin_trap();
    prev = e.next_off;
    std::string shown = tern::store::mbox_present(file.substr(e.header_off, e.end_off - e.header_off));
    if (shown.size() != e.size) __builtin_trap();
    std::string header;
    auto st = tern::store::mbox_filter_header(e.header_off, e.body_off, read, [&](std::string_view s) {
      header.append(s);
      return tern::ok_status();
    });
    if (!st) __builtin_trap();
    size_t pos = 0;
    while (pos < header.size()) {
      size_t nl = header.find('\n', pos);
      std::string_view line = std::string_view(header).substr(pos, nl - pos + 1);
      if (tern::store::mbox_state_header(line)) __builtin_trap();
      pos = nl + 1;
    }
  }
  return 0;
}
