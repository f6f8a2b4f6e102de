// Response formatting helpers (response.h).
#include "imap/proto/response.h"

#include "imap/proto/chars.h"

namespace tern::imap {

namespace {
// Longer strings go as literals: quoting long values only makes the line long.
constexpr size_t kMaxQuotedBytes = 4096;
}  // namespace

std::string format_string(std::string_view s, bool utf8) {
  bool quotable = s.size() <= kMaxQuotedBytes;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\0' || c == '\r' || c == '\n' || (u >= 0x80 && !utf8)) quotable = false;
  }
  if (!quotable) return "{" + std::to_string(s.size()) + "}\r\n" + std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string format_nstring(const std::optional<std::string>& s, bool utf8) {
  return s ? format_string(*s, utf8) : "NIL";
}

std::string format_astring(std::string_view s, bool utf8) {
  bool atom = !s.empty() && !iequals(s, "NIL");
  for (char c : s)
    if (!is_astring_char(c)) atom = false;
  return atom ? std::string(s) : format_string(s, utf8);
}

std::string format_flag_list(const std::vector<std::string>& flags) {
  std::string out = "(";
  for (size_t i = 0; i < flags.size(); ++i) out += (i ? " " : "") + flags[i];
  return out + ")";
}

}  // namespace tern::imap
