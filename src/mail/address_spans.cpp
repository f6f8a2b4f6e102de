// Implementation of address_spans (see address_spans.h).
#include "mail/address_spans.h"

#include <string>

namespace tern::mail {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_special(char c) {
  return c == '(' || c == ')' || c == '<' || c == '>' || c == ',' || c == ';' || c == ':' || c == '"';
}

// One list element being read: its angle-bracket address, if any, and its
// runs of adjacent words outside brackets.
struct Element {
  bool angle = false;       // a complete <...> was seen
  Span angle_span;
  bool angle_route = false;  // the brackets held a ':' (source route)
  int runs = 0;
  Span run;                  // the first run
  bool run_has_at = false;
  size_t last_end = std::string_view::npos;  // where the previous word ended
};

}  // namespace

std::vector<Span> address_spans(std::string_view v, size_t max_spans) {
  std::vector<Span> out;
  Element e;
  bool in_angle = false;
  size_t angle_begin = 0;
  auto end_element = [&] {
    if (out.size() >= max_spans) return;
    if (e.angle) {
      Span s = e.angle_span;
      while (s.begin < s.end && is_space(v[s.begin])) ++s.begin;
      while (s.end > s.begin && is_space(v[s.end - 1])) --s.end;
      if (!e.angle_route && s.begin < s.end) out.push_back(s);
    } else if (e.runs == 1 && e.run_has_at) {
      out.push_back(e.run);
    }
    e = Element{};
  };
  // A word (atom run or quoted string) from b to x, outside brackets.
  auto word = [&](size_t b, size_t x, bool has_at) {
    if (in_angle) return;
    if (e.runs > 0 && e.last_end == b) {
      if (e.runs == 1) {
        e.run.end = x;
        e.run_has_at = e.run_has_at || has_at;
      }
    } else {
      if (++e.runs == 1) {
        e.run = Span{b, x};
        e.run_has_at = has_at;
      }
    }
    e.last_end = x;
  };
  size_t i = 0;
  while (i < v.size()) {
    char c = v[i];
    if (is_space(c)) {
      ++i;
    } else if (c == '(') {
      int depth = 0;
      while (i < v.size()) {
        if (v[i] == '\\') {
          i += 2;
          continue;
        }
        if (v[i] == '(') ++depth;
        if (v[i] == ')' && --depth == 0) {
          ++i;
          break;
        }
        ++i;
      }
    } else if (c == '"') {
      size_t b = i++;
      while (i < v.size() && v[i] != '"') i += v[i] == '\\' ? 2 : 1;
      i = i < v.size() ? i + 1 : v.size();
      word(b, i, false);
    } else if (c == '<') {
      if (!in_angle) {
        in_angle = true;
        angle_begin = i + 1;
        e.angle_route = false;
      }
      ++i;
    } else if (c == '>') {
      if (in_angle) {
        in_angle = false;
        e.angle = true;
        e.angle_span = Span{angle_begin, i};
      }
      ++i;
    } else if (c == ',' || c == ';') {
      if (!in_angle) end_element();
      ++i;
    } else if (c == ':') {
      if (in_angle) {
        e.angle_route = true;
      } else {
        e = Element{};  // what came before was a group's name
      }
      ++i;
    } else if (c == ')') {
      ++i;  // stray
    } else {
      size_t b = i;
      bool at = false;
      while (i < v.size() && !is_space(v[i]) && !is_special(v[i])) {
        if (v[i] == '@') at = true;
        i += v[i] == '\\' && i + 1 < v.size() ? 2 : 1;
      }
      word(b, i, at);
    }
  }
  if (!in_angle) end_element();
  return out;
}

}  // namespace tern::mail
