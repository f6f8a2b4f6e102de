// LF to CRLF (see crlf.h).
#include "base/crlf.h"

#include <cstring>

namespace tern::crlf {

namespace {
// The position of the next LF at or after `from`, or bytes.size().
size_t next_lf(std::string_view bytes, size_t from) {
  const void* hit = std::memchr(bytes.data() + from, '\n', bytes.size() - from);
  return hit ? static_cast<size_t>(static_cast<const char*>(hit) - bytes.data()) : bytes.size();
}
}  // namespace

size_t bare_lf_count(std::string_view bytes) {
  size_t n = 0;
  for (size_t i = next_lf(bytes, 0); i < bytes.size(); i = next_lf(bytes, i + 1))
    if (i == 0 || bytes[i - 1] != '\r') ++n;
  return n;
}

void append(std::string& out, std::string_view bytes) {
  size_t start = 0;
  while (start < bytes.size()) {
    size_t i = next_lf(bytes, start);
    out.append(bytes.data() + start, i - start);
    if (i == bytes.size()) break;
    if (i == 0 || bytes[i - 1] != '\r') out += '\r';
    out += '\n';
    start = i + 1;
  }
}

}  // namespace tern::crlf
