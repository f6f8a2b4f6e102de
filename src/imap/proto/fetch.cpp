// The FETCH attribute parser (fetch.h).
#include "imap/proto/fetch.h"

#include "imap/proto/chars.h"

namespace tern::imap {

namespace {

using Kind = FetchAtt::Kind;

// header-fld-name: printable ASCII but for ':' (RFC 5322 ftext).
bool valid_field_name(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c <= 0x20 || c >= 0x7f || c == ':') return false;
  return true;
}

// "(From "To" X-Y)" -> names; false on bad syntax.
bool parse_header_list(std::string_view s, std::vector<std::string>& out, size_t max) {
  if (s.size() < 2 || s.front() != '(' || s.back() != ')') return false;
  s = s.substr(1, s.size() - 2);
  size_t i = 0;
  while (i < s.size()) {
    std::string name;
    if (s[i] == '"') {
      for (++i;; ++i) {
        if (i >= s.size()) return false;
        if (s[i] == '"') break;
        if (s[i] == '\\') {
          if (i + 1 >= s.size() || (s[i + 1] != '"' && s[i + 1] != '\\')) return false;
          ++i;
        }
        name += s[i];
      }
      ++i;
    } else {
      while (i < s.size() && s[i] != ' ') name += s[i++];
      for (char c : name)
        if (!is_astring_char(c)) return false;
    }
    if (!valid_field_name(name) || out.size() >= max) return false;
    out.push_back(upper(name));
    if (i < s.size()) {
      if (s[i] != ' ' || i + 1 == s.size()) return false;
      ++i;
    }
  }
  return !out.empty();
}

bool parse_section(std::string_view s, Section& sec, bool binary, const FetchLimits& limits) {
  // section-part: nz-number *("." nz-number)
  size_t i = 0;
  while (i < s.size() && is_digit(s[i])) {
    size_t j = i;
    while (j < s.size() && is_digit(s[j])) ++j;
    uint64_t n = 0;
    if (s[i] == '0' || !parse_uint(s.substr(i, j - i), UINT32_MAX, n)) return false;
    if (sec.part.size() >= limits.max_part_depth) return false;
    sec.part.push_back(static_cast<uint32_t>(n));
    i = j;
    if (i == s.size()) return true;
    if (s[i] != '.') return false;
    ++i;
    if (i == s.size()) return false;  // "1." is no section
  }
  if (i == s.size()) return true;  // "" (whole message)
  if (binary) return false;        // BINARY takes part numbers only
  std::string_view rest = s.substr(i);
  size_t sp = rest.find(' ');
  std::string word = upper(rest.substr(0, sp));
  if (word == "HEADER.FIELDS" || word == "HEADER.FIELDS.NOT") {
    sec.text = word == "HEADER.FIELDS" ? Section::Text::header_fields : Section::Text::header_fields_not;
    return sp != std::string_view::npos && parse_header_list(rest.substr(sp + 1), sec.fields, limits.max_fields);
  }
  if (sp != std::string_view::npos) return false;
  if (word == "HEADER") sec.text = Section::Text::header;
  else if (word == "TEXT") sec.text = Section::Text::text;
  else if (word == "MIME" && !sec.part.empty()) sec.text = Section::Text::mime;
  else return false;
  return true;
}

void add(FetchRequest& r, Kind k) {
  FetchAtt a;
  a.kind = k;
  r.atts.push_back(a);
}

}  // namespace

std::string Section::to_string() const {
  std::string out;
  for (uint32_t p : part) out += (out.empty() ? "" : ".") + std::to_string(p);
  const char* t = nullptr;
  switch (text) {
    case Text::none: return out;
    case Text::header: t = "HEADER"; break;
    case Text::header_fields: t = "HEADER.FIELDS"; break;
    case Text::header_fields_not: t = "HEADER.FIELDS.NOT"; break;
    case Text::text: t = "TEXT"; break;
    case Text::mime: t = "MIME"; break;
  }
  if (!out.empty()) out += '.';
  out += t;
  if (text == Text::header_fields || text == Text::header_fields_not) {
    out += " (";
    for (size_t i = 0; i < fields.size(); ++i) out += (i ? " " : "") + fields[i];
    out += ')';
  }
  return out;
}

std::string FetchAtt::response_name() const {
  switch (kind) {
    case Kind::envelope: return "ENVELOPE";
    case Kind::flags: return "FLAGS";
    case Kind::internaldate: return "INTERNALDATE";
    case Kind::rfc822: return "RFC822";
    case Kind::rfc822_header: return "RFC822.HEADER";
    case Kind::rfc822_size: return "RFC822.SIZE";
    case Kind::rfc822_text: return "RFC822.TEXT";
    case Kind::body: return "BODY";
    case Kind::bodystructure: return "BODYSTRUCTURE";
    case Kind::uid: return "UID";
    case Kind::modseq: return "MODSEQ";
    case Kind::binary_size: return "BINARY.SIZE[" + section.to_string() + "]";
    case Kind::body_section:
    case Kind::binary: {
      // RFC 3501 7.4.2: the response gives the origin only ("<0>").
      std::string n = kind == Kind::binary ? "BINARY[" : "BODY[";
      n += section.to_string() + "]";
      if (partial) n += "<" + std::to_string(origin) + ">";
      return n;
    }
  }
  return "";
}

bool FetchAtt::sets_seen() const {
  return !peek && (kind == Kind::body_section || kind == Kind::binary || kind == Kind::rfc822 ||
                   kind == Kind::rfc822_text);
}

bool FetchAtt::needs_structure() const {
  switch (kind) {
    case Kind::envelope: case Kind::body: case Kind::bodystructure: case Kind::binary: case Kind::binary_size:
      return true;
    case Kind::body_section: return !section.part.empty() || section.text == Section::Text::mime;
    default: return false;
  }
}

std::variant<FetchAtt, std::string> parse_fetch_att(std::string_view text, const FetchLimits& limits) {
  FetchAtt a;
  size_t br = text.find('[');
  std::string name = upper(text.substr(0, br));
  if (br == std::string_view::npos) {
    static const std::pair<const char*, Kind> simple[] = {
        {"ENVELOPE", Kind::envelope}, {"FLAGS", Kind::flags}, {"INTERNALDATE", Kind::internaldate},
        {"RFC822", Kind::rfc822}, {"RFC822.HEADER", Kind::rfc822_header}, {"RFC822.SIZE", Kind::rfc822_size},
        {"RFC822.TEXT", Kind::rfc822_text}, {"BODY", Kind::body}, {"BODYSTRUCTURE", Kind::bodystructure},
        {"UID", Kind::uid}, {"MODSEQ", Kind::modseq},
    };
    for (const auto& [n, k] : simple)
      if (name == n) {
        a.kind = k;
        return a;
      }
    return std::string("Unknown fetch attribute");
  }
  if (name == "BODY" || name == "BODY.PEEK") a.kind = Kind::body_section;
  else if (name == "BINARY" || name == "BINARY.PEEK") a.kind = Kind::binary;
  else if (name == "BINARY.SIZE") a.kind = Kind::binary_size;
  else return std::string("Unknown fetch attribute");
  a.peek = name.ends_with(".PEEK");
  size_t close = text.find(']', br);
  if (close == std::string_view::npos) return std::string("Missing ]");
  if (!parse_section(text.substr(br + 1, close - br - 1), a.section, a.kind != Kind::body_section, limits))
    return std::string("Invalid section");
  std::string_view rest = text.substr(close + 1);
  if (rest.empty()) return a;
  if (a.kind == Kind::binary_size) return std::string("BINARY.SIZE takes no partial");
  // partial = "<" number "." nz-number ">"
  size_t dot = rest.find('.');
  uint64_t origin = 0, octets = 0;
  if (rest.front() != '<' || rest.back() != '>' || dot == std::string_view::npos ||
      !parse_uint(rest.substr(1, dot - 1), UINT32_MAX, origin) ||
      !parse_uint(rest.substr(dot + 1, rest.size() - dot - 2), UINT32_MAX, octets) || octets == 0)
    return std::string("Invalid partial");
  a.partial = true;
  a.origin = static_cast<uint32_t>(origin);
  a.octets = static_cast<uint32_t>(octets);
  return a;
}

std::variant<FetchRequest, std::string> parse_fetch(const std::vector<Value>& args, size_t first,
                                                    const FetchLimits& limits) {
  FetchRequest r;
  if (first >= args.size()) return std::string("Missing fetch attributes");
  const Value& v = args[first];
  if (v.kind == Value::Kind::atom) {
    std::string m = upper(v.text);
    if (m == "ALL" || m == "FAST" || m == "FULL") {
      add(r, Kind::flags);
      add(r, Kind::internaldate);
      add(r, Kind::rfc822_size);
      if (m != "FAST") add(r, Kind::envelope);
      if (m == "FULL") add(r, Kind::body);
    } else {
      auto a = parse_fetch_att(v.text, limits);
      if (auto* e = std::get_if<std::string>(&a)) return *e;
      r.atts.push_back(std::get<FetchAtt>(a));
    }
  } else if (v.kind == Value::Kind::list && !v.items.empty()) {
    for (const auto& item : v.items) {
      if (item.kind != Value::Kind::atom) return std::string("Invalid fetch attribute");
      auto a = parse_fetch_att(item.text, limits);
      if (auto* e = std::get_if<std::string>(&a)) return *e;
      r.atts.push_back(std::get<FetchAtt>(a));
    }
  } else {
    return std::string("Invalid fetch attributes");
  }
  if (first + 1 < args.size()) {
    const Value& mods = args[first + 1];
    if (mods.kind != Value::Kind::list || mods.items.empty() || first + 2 < args.size())
      return std::string("Invalid fetch modifiers");
    for (size_t i = 0; i < mods.items.size(); ++i) {
      std::string m = mods.items[i].keyword();
      if (m == "CHANGEDSINCE" && i + 1 < mods.items.size() && mods.items[i + 1].kind == Value::Kind::number &&
          mods.items[i + 1].number <= INT64_MAX) {
        r.changedsince = true;
        r.changedsince_modseq = mods.items[++i].number;
      } else if (m == "VANISHED") {
        r.vanished = true;
      } else {
        return std::string("Unknown fetch modifier");
      }
    }
    // RFC 7162 3.2.6: VANISHED only together with CHANGEDSINCE.
    if (r.vanished && !r.changedsince) return std::string("VANISHED needs CHANGEDSINCE");
  }
  return r;
}

}  // namespace tern::imap
