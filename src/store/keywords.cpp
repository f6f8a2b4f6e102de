// dovecot-keywords: the pure parser and formatter (see keywords.h).
#include "store/keywords.h"

#include <fmt/format.h>
#include <strings.h>

namespace tern::store {

bool keyword_ok(std::string_view name) {
  if (name.empty() || name.size() > kMaxKeywordBytes || name[0] == '\\') return false;
  for (unsigned char c : name)
    if (c <= 0x20 || c >= 0x7f || std::string_view("(){%*\"\\]").find(static_cast<char>(c)) != std::string_view::npos)
      return false;
  return true;
}

std::optional<char> keyword_letter(const KeywordTable& table, std::string_view name) {
  for (size_t i = 0; i < table.size(); ++i)
    if (table[i].size() == name.size() && !table[i].empty() &&
        ::strncasecmp(table[i].data(), name.data(), name.size()) == 0)
      return static_cast<char>('a' + i);
  return std::nullopt;
}

KeywordTable parse_keywords(std::string_view bytes) {
  KeywordTable table;
  if (bytes.size() > kMaxKeywordsBytes) bytes = bytes.substr(0, kMaxKeywordsBytes);
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t nl = bytes.find('\n', pos);
    std::string_view line = bytes.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? bytes.size() : nl + 1;
    size_t sp = line.find(' ');
    if (sp == 0 || sp == std::string_view::npos || sp > 2) continue;
    size_t idx = 0;
    bool digits = true;
    for (char c : line.substr(0, sp)) {
      if (c < '0' || c > '9') digits = false;
      idx = idx * 10 + static_cast<size_t>(c - '0');
    }
    std::string_view name = line.substr(sp + 1);
    if (!digits || idx >= kMaxKeywords || !keyword_ok(name) || !table[idx].empty()) continue;
    if (keyword_letter(table, name)) continue;
    table[idx] = name;
  }
  return table;
}

std::string format_keywords(const KeywordTable& table) {
  std::string out;
  for (size_t i = 0; i < table.size(); ++i)
    if (!table[i].empty()) out += fmt::format("{} {}\n", i, table[i]);
  return out;
}

}  // namespace tern::store
