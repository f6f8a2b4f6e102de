// Parsers for the two text formats a table's source file can have: Postfix
// table format ("key value") and aliases(5) ("name: value"). Every table type
// that reads a file (texthash, the lmdb builder, cidr) goes through here, so
// comments, continuation lines and duplicate keys behave the same everywhere.
//
// Rules (as Postfix's readlline(3) and postmap(1)):
//  - a line whose first non-blank character is '#' is a comment; a '#' later
//    in a line is data;
//  - blank lines (only white space) are ignored;
//  - a line that starts with white space continues the previous entry; its
//    text is trimmed and joined with a single space; comment and blank lines
//    between an entry and its continuation are skipped, as in Postfix;
//  - keys are folded to lower case; values are kept as written, trimmed;
//  - duplicate keys: the FIRST entry is kept and each later one is ignored
//    with a warning "file:line: duplicate entry for 'key' ... (keeping line N)",
//    as postmap(1) does.
//
// SECURITY: parses files written by the administrator, but the result feeds
// alias expansion and access decisions. Lines may hold any bytes; a NUL byte
// is rejected (values are later used as C strings by delivery agents), and
// error messages pass file content through str::printable.
#include <unordered_map>

#include <fmt/format.h>

#include "base/log.h"
#include "base/strings.h"
#include "maps/table.h"

namespace tern::maps {
namespace {

// The same set str::trim removes.
bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

struct LogicalLine {
  std::string text;  // first line and its continuations, joined, trimmed
  int line = 0;      // number of the first physical line
};

// Splits text into logical lines. Fails on a continuation line that has no
// entry to continue and on NUL bytes.
Result<std::vector<LogicalLine>> logical_lines(std::string_view text, const std::string& filename) {
  std::vector<LogicalLine> out;
  int lineno = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view raw = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++lineno;
    if (raw.find('\0') != std::string_view::npos)
      return Error::perm(fmt::format("{}:{}: NUL byte in line", filename, lineno));
    std::string_view t = str::trim(raw);
    if (t.empty() || t.front() == '#') continue;
    if (is_blank(raw.front())) {
      if (out.empty())
        return Error::perm(fmt::format("{}:{}: continuation line (starts with white space) without an entry before it",
                                       filename, lineno));
      out.back().text += ' ';
      out.back().text.append(t);
      continue;
    }
    out.push_back({std::string(t), lineno});
  }
  return out;
}

// Splits "key value" at the first run of white space.
Result<Entry> split_table_line(const LogicalLine& l, const std::string& filename) {
  std::string_view s = l.text;
  size_t i = 0;
  while (i < s.size() && !is_blank(s[i])) ++i;
  std::string_view key = s.substr(0, i);
  std::string_view value = str::trim(s.substr(i));
  if (value.empty())
    return Error::perm(fmt::format("{}:{}: missing value for '{}'", filename, l.line, str::printable(key, 100)));
  return Entry{str::lower(key), std::string(value), l.line};
}

// Splits "name: value" or "\"quoted name\": value".
Result<Entry> split_alias_line(const LogicalLine& l, const std::string& filename) {
  std::string_view s = l.text;
  auto expected = [&] {
    return Error::perm(fmt::format("{}:{}: expected 'name: value', got '{}'", filename, l.line,
                                   str::printable(s, 100)));
  };
  std::string name;
  std::string_view rest;
  if (s.front() == '"') {
    size_t i = 1;
    bool closed = false;
    for (; i < s.size(); ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) {
        name += s[++i];
      } else if (s[i] == '"') {
        closed = true;
        ++i;
        break;
      } else {
        name += s[i];
      }
    }
    if (!closed) return expected();
    rest = str::trim(s.substr(i));
    if (rest.empty() || rest.front() != ':') return expected();
    rest.remove_prefix(1);
  } else {
    size_t colon = s.find(':');
    if (colon == std::string_view::npos) return expected();
    std::string_view n = str::trim(s.substr(0, colon));
    for (char c : n)
      if (is_blank(c)) return expected();
    name = std::string(n);
    rest = s.substr(colon + 1);
  }
  if (name.empty()) return expected();
  std::string_view value = str::trim(rest);
  if (value.empty())
    return Error::perm(fmt::format("{}:{}: missing value for '{}'", filename, l.line, str::printable(name, 100)));
  return Entry{str::lower(name), std::string(value), l.line};
}

}  // namespace

Result<std::vector<Entry>> parse_text(std::string_view text, const std::string& filename, Format format,
                                      std::vector<std::string>* warnings) {
  auto lines = logical_lines(text, filename);
  if (!lines) return lines.error();
  std::vector<Entry> out;
  out.reserve(lines->size());
  std::unordered_map<std::string, int> first_line;  // key -> line of the kept entry
  for (const auto& l : *lines) {
    auto e = format == Format::aliases ? split_alias_line(l, filename) : split_table_line(l, filename);
    if (!e) return e.error();
    auto [it, inserted] = first_line.emplace(e->key, e->line);
    if (!inserted) {
      std::string w = fmt::format("{}:{}: duplicate entry for '{}' ignored (keeping line {})", filename, e->line,
                                  str::printable(e->key, 100), it->second);
      if (warnings)
        warnings->push_back(std::move(w));
      else
        log::warn("{}", w);
      continue;
    }
    out.push_back(std::move(*e));
  }
  return out;
}

Result<std::vector<Entry>> parse_table_text(std::string_view text, const std::string& filename) {
  return parse_text(text, filename, Format::table, nullptr);
}

Result<std::vector<Entry>> parse_aliases_text(std::string_view text, const std::string& filename) {
  return parse_text(text, filename, Format::aliases, nullptr);
}

}  // namespace tern::maps
