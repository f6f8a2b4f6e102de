// Runs g_mime_init() once per process (see gmime_init.h).
#include "mime/gmime_init.h"

#include <gmime/gmime.h>

#include <mutex>

namespace tern::mime {

void ensure_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

}  // namespace tern::mime
