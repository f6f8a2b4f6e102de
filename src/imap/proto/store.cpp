// STORE and flag parsing (store.h).
#include "imap/proto/store.h"

#include "imap/proto/chars.h"

namespace tern::imap {

std::optional<std::string> parse_flag(std::string_view s) {
  static const char* system[] = {"\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"};
  if (s.empty()) return std::nullopt;
  if (s[0] == '\\') {
    for (const char* f : system)
      if (iequals(s, f)) return std::string(f);
    return std::nullopt;
  }
  for (char c : s)
    if (!is_atom_char(c)) return std::nullopt;
  return std::string(s);
}

std::optional<std::vector<std::string>> parse_flag_list(const Value& v) {
  if (v.kind != Value::Kind::list) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& item : v.items) {
    if (item.kind != Value::Kind::atom && item.kind != Value::Kind::nil) return std::nullopt;
    auto f = parse_flag(item.text);
    if (!f) return std::nullopt;
    out.push_back(std::move(*f));
  }
  return out;
}

std::variant<StoreRequest, std::string> parse_store(const std::vector<Value>& args, size_t first) {
  StoreRequest r;
  size_t i = first;
  if (i < args.size() && args[i].kind == Value::Kind::list) {
    const auto& m = args[i++].items;
    if (m.size() != 2 || m[0].keyword() != "UNCHANGEDSINCE" || m[1].kind != Value::Kind::number ||
        m[1].number > INT64_MAX)
      return std::string("Invalid store modifier");
    r.unchangedsince = m[1].number;
  }
  if (i >= args.size()) return std::string("Missing store item");
  std::string item = args[i++].keyword();
  if (item.starts_with('+')) r.mode = StoreRequest::Mode::add, item.erase(0, 1);
  else if (item.starts_with('-')) r.mode = StoreRequest::Mode::remove, item.erase(0, 1);
  if (item == "FLAGS.SILENT") r.silent = true;
  else if (item != "FLAGS") return std::string("Invalid store item");
  if (i >= args.size()) return std::string("Missing flags");
  if (args[i].kind == Value::Kind::list) {
    if (i + 1 != args.size()) return std::string("Too many arguments");
    auto flags = parse_flag_list(args[i]);
    if (!flags) return std::string("Invalid flag");
    r.flags = std::move(*flags);
    return r;
  }
  for (; i < args.size(); ++i) {  // flag *(SP flag)
    auto f = args[i].kind == Value::Kind::atom || args[i].kind == Value::Kind::nil ? parse_flag(args[i].text)
                                                                                  : std::nullopt;
    if (!f) return std::string("Invalid flag");
    r.flags.push_back(std::move(*f));
  }
  return r;
}

}  // namespace tern::imap
