// Implementation of split_alias_list (see alias_list.h).
#include "rewrite/alias_list.h"

#include "base/strings.h"

namespace tern::rewrite {

Result<std::vector<std::string>> split_alias_list(std::string_view value) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  auto flush = [&] {
    auto t = str::trim(cur);
    if (!t.empty()) out.emplace_back(t);
    cur.clear();
  };
  for (char c : value) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
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
