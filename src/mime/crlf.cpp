// LF to CRLF (see crlf.h).
#include "mime/crlf.h"

namespace tern::mime {

std::string_view to_crlf(std::string_view bytes, std::string& storage) {
  size_t bare = 0;
  for (size_t i = 0; i < bytes.size(); ++i)
    if (bytes[i] == '\n' && (i == 0 || bytes[i - 1] != '\r')) ++bare;
  if (bare == 0) return bytes;
  storage.clear();
  storage.reserve(bytes.size() + bare);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\n' && (i == 0 || bytes[i - 1] != '\r')) storage.push_back('\r');
    storage.push_back(bytes[i]);
  }
  return storage;
}

}  // namespace tern::mime
