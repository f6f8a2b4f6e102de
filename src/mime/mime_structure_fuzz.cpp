// libFuzzer target: a message's MIME structure. Properties: every entity's
// range lies inside its parent's body, in order, without overlap; depth and
// entity count stay within limits.h; BODYSTRUCTURE and ENVELOPE are
// balanced IMAP lists (quoted strings and literals skipped); the LF and the
// CRLF form of a message give the same answers; BODY[] is the whole
// message, and every part reached by its number has the range the tree
// says.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mime/limits.h"
#include "mime/message.h"

using namespace tern::mime;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// Parentheses balance outside "..." and {n}CRLF literals, and never go negative.
void check_balanced(std::string_view s) {
  long depth = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i)
        if (s[i] == '\\') ++i;
      check(i < s.size());
    } else if (c == '{') {
      size_t close = s.find("}\r\n", i);
      check(close != std::string_view::npos && close > i + 1 && close - i < 12);
      size_t n = 0;
      for (size_t j = i + 1; j < close; ++j) {
        check(s[j] >= '0' && s[j] <= '9');
        n = n * 10 + static_cast<size_t>(s[j] - '0');
      }
      check(close + 3 + n <= s.size());
      i = close + 2 + n;  // the loop's ++i steps past the literal
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      check(--depth >= 0);
    }
  }
  check(depth == 0);
}

std::string_view body_of(const Message& m, const Entity& e) {
  return m.crlf().substr(e.body_begin, e.end - e.body_begin);
}

void check_ranges(const Message& m, const Entity& e, size_t depth) {
  check(e.begin <= e.body_begin && e.body_begin <= e.end && e.end <= m.size());
  check(depth <= max_depth);
  size_t at = e.body_begin;
  for (const Entity& c : e.children) {
    check(c.begin >= at && c.end <= e.end);
    at = c.end;
    check_ranges(m, c, depth + 1);
  }
  if (e.kind == Entity::Kind::multipart) check(!e.children.empty());
  if (e.kind == Entity::Kind::message)
    check(e.children.size() == 1 && e.children[0].begin == e.body_begin && e.children[0].end == e.end);
}

void check_part(const Message& m, const Entity& part, std::vector<uint32_t>& path);

// BODY[path.N] of a message (the whole one or an encapsulated one): its
// parts, or itself as part 1 when it is not multipart.
void check_message(const Message& m, const Entity& message, std::vector<uint32_t>& path) {
  if (message.kind == Entity::Kind::multipart) {
    check_part(m, message, path);
    return;
  }
  path.push_back(1);
  tern::imap::Section s;
  s.part = path;
  check(m.section(s) == body_of(m, message));
  if (message.kind == Entity::Kind::message) check_message(m, message.children[0], path);
  path.pop_back();
}

void check_part(const Message& m, const Entity& part, std::vector<uint32_t>& path) {
  if (part.kind == Entity::Kind::message) {
    check_message(m, part.children[0], path);
    return;
  }
  for (uint32_t i = 0; i < part.children.size(); ++i) {
    path.push_back(i + 1);
    tern::imap::Section s;
    s.part = path;
    check(m.section(s) == body_of(m, part.children[i]));
    check_part(m, part.children[i], path);
    path.pop_back();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Message m(in);
  check(m.tree().entities <= max_parts);
  std::string bs = m.body_structure(true);
  std::string body = m.body_structure(false);
  std::string env = m.envelope();
  check_balanced(bs);
  check_balanced(body);
  check_balanced(env);
  Message again(m.crlf());
  check(again.body_structure(true) == bs && again.envelope() == env);
  tern::imap::Section whole;
  check(m.section(whole) == m.crlf());
  check_ranges(m, m.tree().root, 0);
  std::vector<uint32_t> path;
  check_message(m, m.tree().root, path);
  return 0;
}
