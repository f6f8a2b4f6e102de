// Text helpers of the DSN composer; see dsn_text.h.
#include "mail/dsn_text.h"

#include <vector>

namespace tern::mail::dsn_text {
namespace {

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> w;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ' ') ++i;
    if (i > start) w.push_back(s.substr(start, i - start));
  }
  return w;
}

// Lays out words after `first`, breaking before a word that would pass
// width; a new line starts with `cont`. sep_first: a space between `first`
// and the first word ("Name: value").
std::string fill(std::string first, std::string_view text, std::string_view cont, size_t width, bool sep_first) {
  std::string out;
  std::string line = std::move(first);
  bool has_word = false;
  for (auto w : words(text)) {
    if (has_word && line.size() + 1 + w.size() > width) {
      out += line + "\n";
      line.assign(cont);
    } else if (has_word || sep_first) {
      line += ' ';
    }
    line += w;
    has_word = true;
  }
  return out + line + "\n";
}

}  // namespace

std::string clean(std::string_view s, size_t max_bytes, bool ascii_only) {
  std::string r;
  r.reserve(s.size() < max_bytes ? s.size() : max_bytes);
  for (unsigned char c : s) {
    if (r.size() >= max_bytes) {
      r += "...";
      break;
    }
    if (c == '\t')
      r += ' ';
    else if (c < 0x20 || c == 0x7f || (ascii_only && c >= 0x80))
      r += '?';
    else
      r += static_cast<char>(c);
  }
  return r;
}

std::string field(std::string_view name, std::string_view value) {
  return fill(std::string(name) + ":", value, " ", 78, true);
}

std::string wrap(std::string_view text, std::string_view indent) {
  return fill(std::string(indent), text, indent, 72, false);
}

bool valid_status(std::string_view s) {
  if (s.size() < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.') return false;
  size_t i = 2;
  for (int part = 0; part < 2; ++part) {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start || i - start > 3) return false;
    if (part == 0) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  return i == s.size();
}

}  // namespace tern::mail::dsn_text
