// Character classes of the IMAP grammar (RFC 3501 section 9, RFC 9051
// section 9), shared by the reader and the typed parsers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tern::imap {

// CTL: %x00-1F / %x7F; 8-bit bytes are neither atoms nor CTLs.
inline bool is_ctl(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}
// ATOM-CHAR: any CHAR except atom-specials ( ) { SP CTL % * " \ ].
inline bool is_atom_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  switch (c) {
    case '(': case ')': case '{': case '%': case '*': case '"': case '\\': case ']':
      return false;
    default:
      return true;
  }
}
// ASTRING-CHAR: ATOM-CHAR / resp-specials (']').
inline bool is_astring_char(char c) { return is_atom_char(c) || c == ']'; }
// tag: 1*<any ASTRING-CHAR except "+">
inline bool is_tag_char(char c) { return is_astring_char(c) && c != '+'; }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

inline std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}
// Parses 1*DIGIT into a value no larger than max; false on anything else.
inline bool parse_uint(std::string_view s, uint64_t max, uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

}  // namespace tern::imap
