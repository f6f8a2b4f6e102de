// Header section to fields (see header_fields.h).
#include "mime/header_fields.h"

#include "mime/limits.h"

namespace tern::mime {

namespace {

bool blank(char c) { return c == ' ' || c == '\t'; }

// End of the line starting at pos: one past its LF, or the end.
size_t line_end(std::string_view s, size_t pos) {
  size_t lf = s.find('\n', pos);
  return lf == std::string_view::npos ? s.size() : lf + 1;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::vector<Field> header_fields(std::string_view header) {
  std::vector<Field> fields;
  size_t pos = 0;
  while (pos < header.size() && fields.size() < max_header_fields) {
    size_t end = line_end(header, pos);
    std::string_view line = header.substr(pos, end - pos);
    if (line == "\r\n" || line == "\n") break;  // the empty line ends the section
    size_t colon = line.find(':');
    if (blank(line[0]) || colon == std::string_view::npos || colon == 0) {
      pos = end;  // a stray continuation or a line that is not a field
      continue;
    }
    while (end < header.size() && blank(header[end])) end = line_end(header, end);
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && blank(name.back())) name.remove_suffix(1);
    fields.push_back({name, header.substr(pos, end - pos)});
    pos = end;
  }
  return fields;
}

std::string field_value(const Field& field) {
  std::string_view v = field.raw.substr(field.raw.find(':') + 1);
  std::string out;
  out.reserve(v.size());
  for (char c : v)
    if (c != '\r' && c != '\n') out.push_back(c);
  size_t b = 0, e = out.size();
  while (b < e && blank(out[b])) ++b;
  while (e > b && blank(out[e - 1])) --e;
  return out.substr(b, e - b);
}

std::optional<std::string> first_value(const std::vector<Field>& fields, std::string_view name) {
  for (const Field& f : fields)
    if (iequals(f.name, name)) return field_value(f);
  return std::nullopt;
}

}  // namespace tern::mime
