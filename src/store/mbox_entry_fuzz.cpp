// libFuzzer target: mbox entry formatting. Whatever the message, the entry
// must have exactly one unquoted From_ line (its first), and a reader that
// removes one '>' from ^>+From lines must get prefix + message back; and
// the message quoted in pieces (as APPEND streams it) gives the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "store/mbox.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t cut = size ? data[0] % (size + 1) : 0;
  std::string_view prefix = in.substr(0, cut), message = in.substr(cut);
  std::string sender(in.substr(0, 20));
  std::string e = tern::store::mbox_entry(sender, 0, prefix, message);

  {
    std::string pieces = tern::store::mbox_from_line(sender, 0);
    tern::store::MboxQuoter q;
    q.feed(prefix, pieces);
    size_t step = 1 + (size ? data[size - 1] % 7 : 0);
    for (size_t at = 0; at < message.size(); at += step) q.feed(message.substr(at, step), pieces);
    q.finish(pieces);
    if (pieces != e) __builtin_trap();
  }
  std::string original = std::string(prefix) + std::string(message);
  if (!original.empty() && original.back() != '\n') original += '\n';
  std::string back;
  size_t pos = 0, lineno = 0;
  while (pos < e.size()) {
    size_t nl = e.find('\n', pos);
    if (nl == std::string::npos) __builtin_trap();  // every line ends in '\n'
    std::string line = e.substr(pos, nl + 1 - pos);
    pos = nl + 1;
    if (lineno++ == 0) {
      if (line.rfind("From ", 0) != 0) __builtin_trap();
      continue;
    }
    if (line.rfind("From ", 0) == 0) __builtin_trap();
    size_t i = 0;
    while (i < line.size() && line[i] == '>') ++i;
    if (i > 0 && line.compare(i, 5, "From ") == 0) line.erase(0, 1);
    back += line;
  }
  if (back != original + "\n") __builtin_trap();
  return 0;
}
