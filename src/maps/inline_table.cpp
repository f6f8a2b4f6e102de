// inline:{ key=value, ... }: a small table written directly in main.cf
// (Postfix inline_table(5)), so one-line settings need no extra file.
//
// Syntax: items are separated by commas and/or white space; an item is
// "key=value" (no white space), or "{ key = value }" when the value holds
// white space or commas (white space around '=' and inside the braces is
// trimmed). Keys are folded to lower case; the first of duplicate keys wins,
// as in file-based tables.
//
// SECURITY: parses configuration text; bounded by its length, no recursion.
// Errors quote the offending item through str::printable.
#include <unordered_map>

#include <fmt/format.h>

#include "base/strings.h"
#include "maps/table_types.h"

namespace tern::maps {
namespace {

bool is_sep(char c) { return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

namespace detail {

Result<std::shared_ptr<Table>> open_inline(std::string spec, std::string_view body) {
  auto fail = [&](std::string_view what) {
    return Error::perm(fmt::format("{}: {}", str::printable(spec, 200), what));
  };
  body = str::trim(body);
  if (body.size() < 2 || body.front() != '{' || body.back() != '}')
    return fail("expected inline:{ key=value, ... }");
  body = body.substr(1, body.size() - 2);
  std::unordered_map<std::string, std::string> map;
  size_t i = 0;
  while (i < body.size()) {
    if (is_sep(body[i])) {
      ++i;
      continue;
    }
    std::string_view item;
    bool braced = body[i] == '{';
    if (braced) {
      size_t close = body.find('}', i + 1);
      if (close == std::string_view::npos) return fail("missing '}' after '{'");
      item = body.substr(i + 1, close - i - 1);
      i = close + 1;
    } else {
      size_t end = i;
      while (end < body.size() && !is_sep(body[end])) ++end;
      item = body.substr(i, end - i);
      i = end;
      if (item.find('{') != std::string_view::npos || item.find('}') != std::string_view::npos)
        return fail(fmt::format("unexpected brace in '{}'", str::printable(item, 100)));
    }
    size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      return fail(fmt::format("expected key=value, got '{}'", str::printable(item, 100)));
    std::string_view key = str::trim(item.substr(0, eq));
    std::string_view value = str::trim(item.substr(eq + 1));
    if (key.empty()) return fail(fmt::format("missing key in '{}'", str::printable(item, 100)));
    if (value.empty()) return fail(fmt::format("missing value for '{}'", str::printable(key, 100)));
    map.emplace(str::lower(key), std::string(value));  // keeps the first
  }
  return make_memory_table(std::move(spec), std::move(map));
}

}  // namespace detail
}  // namespace tern::maps
