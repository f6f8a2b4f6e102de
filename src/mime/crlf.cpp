// LF to CRLF (see crlf.h).
#include "mime/crlf.h"

#include "base/crlf.h"

namespace tern::mime {

std::string_view to_crlf(std::string_view bytes, std::string& storage) {
  size_t bare = crlf::bare_lf_count(bytes);
  if (bare == 0) return bytes;
  storage.clear();
  storage.reserve(bytes.size() + bare);
  crlf::append(storage, bytes);
  return storage;
}

}  // namespace tern::mime
