// Implementation of the content's wire forms (see content.h).
#include "smtp/client/content.h"

#include <cstring>

namespace tern::smtp::client {

namespace {

// Calls line(text) for each line, without its LF or CRLF.
template <class F>
void each_line(std::string_view content, F&& line) {
  size_t pos = 0;
  while (pos < content.size()) {
    size_t lf = content.find('\n', pos);
    size_t end = lf == std::string_view::npos ? content.size() : lf;
    size_t text_end = end > pos && content[end - 1] == '\r' && lf != std::string_view::npos ? end - 1 : end;
    line(content.substr(pos, text_end - pos));
    pos = lf == std::string_view::npos ? content.size() : lf + 1;
  }
}

}  // namespace

uint64_t wire_size(std::string_view content) {
  uint64_t n = 0;
  each_line(content, [&](std::string_view l) { n += l.size() + 2; });
  return n;
}

std::string wire_form(std::string_view content, bool dot_stuff) {
  // Sized exactly first, then filled through a pointer: a 100 KiB message
  // is some 1,300 lines, and appending each line and its CRLF to a string
  // cost more than the bytes (perf: a tenth of the sending thread's time
  // relaying 100 KiB messages).
  size_t size = 0;
  each_line(content, [&](std::string_view l) {
    size += l.size() + 2 + (dot_stuff && !l.empty() && l.front() == '.' ? 1 : 0);
  });
  if (dot_stuff) size += 3;
  std::string out(size, '\0');
  char* p = out.data();
  each_line(content, [&](std::string_view l) {
    if (dot_stuff && !l.empty() && l.front() == '.') *p++ = '.';
    if (!l.empty()) std::memcpy(p, l.data(), l.size());
    p += l.size();
    *p++ = '\r';
    *p++ = '\n';
  });
  if (dot_stuff) std::memcpy(p, ".\r\n", 3);
  return out;
}

}  // namespace tern::smtp::client
