// libFuzzer target: the queue-file parser and the submission decoder, both
// of which read files or sockets that another party could have written.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "queue/reader.h"
#include "queue/submission.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto env = tern::queue::parse_queue_file(in, "0000000000000000");
  if (env) {
    for (auto& r : env->recipients) {
      if (r.type_offset >= size) __builtin_trap();
      // The cross-off flips this byte: it must be the recipient's type,
      // whatever DSN records follow it.
      if (in[r.type_offset] != 'R' && in[r.type_offset] != 'D') __builtin_trap();
      if (r.notify > 15) __builtin_trap();
    }
    if (env->content_offset + env->content_size > size) __builtin_trap();
    // Every 'X' record names a recipient of this file.
    for (auto& [off, key] : env->done_targets) {
      bool owner = false;
      for (auto& r : env->recipients) owner |= r.type_offset == off;
      if (!owner || key.empty()) __builtin_trap();
    }
  }
  (void)tern::queue::decode_submit_request(in, 1 << 20, 1000);
  return 0;
}
