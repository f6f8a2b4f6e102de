// libFuzzer target: .forward text (written by a local user) and an
// extension from an envelope address in forward_path. Invariants: every
// item is non-empty and free of control bytes, commands and files come only
// from their markers, the item count is capped, and no candidate file name
// gains a "/.." or leaves the home directory because of the extension.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "delivery/dot_forward.h"

using namespace tern::delivery;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto list = parse_forward(in);
  if (list.items.size() > kMaxForwardItems) __builtin_trap();
  for (auto& it : list.items) {
    if (it.value.empty() && it.kind != ForwardItem::Kind::include) __builtin_trap();
    for (unsigned char c : it.value)
      if (c < 0x20 || c == 0x7f) __builtin_trap();
    if (it.kind == ForwardItem::Kind::file && it.value[0] != '/') __builtin_trap();
    if (it.value.size() > size) __builtin_trap();
  }
  ForwardVars v{"alice", "/home/alice", "/bin/sh", std::string(in.substr(0, 200)), "", "alice", "x", "+"};
  for (auto& p : expand_forward_path("$home/.forward${recipient_delimiter}${extension}, $home/.forward", v)) {
    if (p.rfind("/home/alice/.forward", 0) != 0) __builtin_trap();
    if (p.find("/..") != std::string::npos || p.find('\n') != std::string::npos) __builtin_trap();
  }
  return 0;
}
