// Implementation of the content's wire forms (see content.h).
#include "smtp/client/content.h"

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
  std::string out;
  out.reserve(content.size() + content.size() / 32 + 8);
  each_line(content, [&](std::string_view l) {
    if (dot_stuff && !l.empty() && l.front() == '.') out += '.';
    out.append(l);
    out += "\r\n";
  });
  if (dot_stuff) out += ".\r\n";
  return out;
}

}  // namespace tern::smtp::client
