// Implementation of the daemon's heap policy (see heap_policy.h).
#include "base/heap_policy.h"

#include <malloc.h>

#include "base/file_bytes.h"

namespace tern::base {

void apply_server_heap_policy() {
  constexpr int kMmapThreshold = static_cast<int>(fs::FileBytes::kCopyUpTo);
  ::mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
  ::mallopt(M_TRIM_THRESHOLD, 2 * kMmapThreshold);
}

}  // namespace tern::base
