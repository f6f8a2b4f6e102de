// Wire formatting of SMTP replies (RFC 5321 4.2, RFC 2034 enhanced codes).
#include "smtp/proto/reply.h"

#include <fmt/format.h>

namespace tern::smtp {

std::string Reply::format() const {
  std::string out;
  size_t n = lines.empty() ? 1 : lines.size();
  for (size_t i = 0; i < n; ++i) {
    std::string_view text = lines.empty() ? std::string_view() : std::string_view(lines[i]);
    char sep = i + 1 < n ? '-' : ' ';
    if (enhanced.empty())
      out += fmt::format("{}{}{}\r\n", code, sep, text);
    else
      out += fmt::format("{}{}{} {}\r\n", code, sep, enhanced, text);
  }
  return out;
}

std::string Reply::text() const {
  std::string t = fmt::format("{}", code);
  if (!enhanced.empty()) t += " " + enhanced;
  for (auto& l : lines) t += " " + l;
  return t;
}

}  // namespace tern::smtp
