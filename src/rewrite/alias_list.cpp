// Implementation of split_alias_list (see alias_list.h).
#include "rewrite/alias_list.h"

#include "base/strings.h"

namespace tern::rewrite {
namespace {

bool blank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

Result<std::vector<std::string>> split_alias_list(std::string_view value) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  size_t group = 0;  // where the items since the last comma start in `out`
  auto flush = [&] {
    auto t = str::trim(cur);
    if (!t.empty()) {
      // ":include: /path", with a blank after the colon, is one item.
      if (out.size() > group && str::iequals(out.back(), ":include:")) out.back() += std::string(t);
      else out.emplace_back(t);
    }
    cur.clear();
  };
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (quoted) {
      if (c == '\\' && i + 1 < value.size()) cur += value[++i];  // "\"" and "\\": the character itself
      else if (c == '"') quoted = false;
      else cur += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      flush();
      group = out.size();
    } else if (blank(c)) {
      flush();
    } else if (c == '(') {
      // A comment, nested parentheses included, as in RFC 5322.
      int depth = 1;
      while (++i < value.size() && depth > 0) {
        if (value[i] == '\\') ++i;
        else if (value[i] == '(') ++depth;
        else if (value[i] == ')') --depth;
      }
      if (depth > 0) return Error::perm("a parenthesis is not closed; close it, or quote the item");
      --i;
      flush();
    } else if (c == '<') {
      // "Name <addr>": the address alone; the words before it are its name.
      size_t close = value.find('>', i);
      if (close == std::string_view::npos) return Error::perm("a '<' is not closed by '>'");
      out.resize(group);
      cur = std::string(value.substr(i + 1, close - i - 1));
      i = close;
      flush();
    } else {
      cur += c;
    }
  }
  if (quoted) return Error::perm("a double quote is not closed; close it, or quote the whole item");
  flush();
  return out;
}

}  // namespace tern::rewrite
