// Implementation of split_alias_list (see alias_list.h).
#include "rewrite/alias_list.h"

#include "base/strings.h"

namespace tern::rewrite {

std::vector<std::string> split_alias_list(std::string_view value) {
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
  flush();
  return out;
}

}  // namespace tern::rewrite
