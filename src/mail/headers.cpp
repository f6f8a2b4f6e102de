// Implementation of header-section and address-list parsing (see headers.h).
#include "mail/headers.h"

#include "base/strings.h"

namespace tern::mail {

HeaderSection parse_header_section(std::string_view c, size_t max_fields) {
  HeaderSection h;
  size_t pos = 0;
  while (pos < c.size()) {
    size_t eol = c.find('\n', pos);
    size_t line_end = eol == std::string_view::npos ? c.size() : eol;
    std::string_view line = c.substr(pos, line_end - pos);
    size_t next = eol == std::string_view::npos ? c.size() : eol + 1;
    if (line.empty() || line == "\r") {
      h.body_offset = next;
      return h;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !h.fields.empty()) {
      auto& f = h.fields.back();
      f.value += std::string(line);
      f.end = next;
      pos = next;
      continue;
    }
    size_t colon = line.find(':');
    bool valid = colon != std::string_view::npos && colon > 0;
    for (size_t i = 0; valid && i < colon; ++i) {
      unsigned char ch = static_cast<unsigned char>(line[i]);
      if (ch <= 32 || ch >= 127) valid = false;
    }
    if (!valid) {
      h.body_offset = pos;
      return h;
    }
    if (h.fields.size() >= max_fields) {
      h.truncated = true;
      h.body_offset = pos;
      return h;
    }
    HeaderField f;
    f.name = std::string(line.substr(0, colon));
    f.value = std::string(str::trim(line.substr(colon + 1)));
    f.begin = pos;
    f.end = next;
    h.fields.push_back(std::move(f));
    pos = next;
  }
  h.body_offset = c.size();
  return h;
}

std::vector<std::string> extract_addresses(std::string_view v) {
  std::vector<std::string> out;
  std::string cur, angle;
  bool in_quote = false, in_angle = false, have_angle = false;
  int comment = 0;
  auto flush = [&] {
    std::string a = have_angle ? angle : std::string(str::trim(cur));
    auto t = str::trim(a);
    if (!t.empty()) out.emplace_back(t);
    cur.clear();
    angle.clear();
    have_angle = false;
  };
  for (size_t i = 0; i < v.size(); ++i) {
    char ch = v[i];
    if (comment > 0) {
      if (ch == '\\') ++i;
      else if (ch == '(') ++comment;
      else if (ch == ')') --comment;
      continue;
    }
    if (in_quote) {
      if (ch == '\\') ++i;
      else if (ch == '"') in_quote = false;
      if (in_angle) angle += ch;
      continue;
    }
    if (in_angle) {
      if (ch == '>') in_angle = false;
      else angle += ch;
      continue;
    }
    switch (ch) {
      case '"': in_quote = true; break;
      case '(': comment = 1; break;
      case '<':
        in_angle = true;
        have_angle = true;
        angle.clear();
        break;
      case ':': cur.clear(); break;  // group name
      case ',':
      case ';': flush(); break;
      case '\r':
      case '\n':
      case '\t': cur += ' '; break;
      default: cur += ch;
    }
  }
  flush();
  return out;
}

int count_received(std::string_view content) {
  int n = 0;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t eol = content.find('\n', pos);
    std::string_view line = content.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    if (line.empty()) break;
    if (str::istarts_with(line, "received:")) ++n;
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  return n;
}

}  // namespace tern::mail
