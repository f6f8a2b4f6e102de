// $name expansion, done lazily at lookup time as Postfix does, so a value may
// refer to a parameter defined later in main.cf or left at its default.
// SECURITY: expands text from main.cf. Loops, deep nesting and exponential
// fan-out ("a = $b $b", "b = $c $c", ...) are cut off by the limits in
// internal.h; the worst case is bounded work and a bounded result.
#include <unistd.h>

#include <algorithm>

#include "config/internal.h"

namespace tern::config::detail {

namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

size_t name_end(std::string_view s, size_t i) {
  while (i < s.size() && name_char(s[i])) ++i;
  return i;
}

// Index of the `close` matching an already consumed `open`, or npos.
size_t matching(std::string_view s, size_t i, char open, char close) {
  int level = 1;
  for (; i < s.size(); ++i) {
    if (s[i] == open) ++level;
    if (s[i] == close && --level == 0) return i;
  }
  return std::string_view::npos;
}

// One $-reference found in text at position i (s[i] == '$').
struct Ref {
  enum class Kind { dollar, plain, if_set, if_unset, literal } kind = Kind::literal;
  std::string_view name;
  std::string_view branch;  // text of ${name?branch} / ${name:branch}
  size_t end = 0;           // index just past the reference
};

Ref scan_ref(std::string_view s, size_t i) {
  Ref r;
  r.end = i + 1;
  if (i + 1 >= s.size()) return r;
  char c = s[i + 1];
  if (c == '$') return {Ref::Kind::dollar, {}, {}, i + 2};
  if (name_char(c)) {
    size_t e = name_end(s, i + 1);
    return {Ref::Kind::plain, s.substr(i + 1, e - i - 1), {}, e};
  }
  if (c != '{' && c != '(') return r;
  char close = c == '{' ? '}' : ')';
  size_t e = name_end(s, i + 2);
  if (e == i + 2 || e >= s.size()) return r;
  std::string_view name = s.substr(i + 2, e - i - 2);
  if (s[e] == close) return {Ref::Kind::plain, name, {}, e + 1};
  if (s[e] != '?' && s[e] != ':') return r;
  size_t m = matching(s, e + 1, c, close);
  if (m == std::string_view::npos) return r;
  return {s[e] == '?' ? Ref::Kind::if_set : Ref::Kind::if_unset, name, s.substr(e + 1, m - e - 1), m + 1};
}

class Expander {
 public:
  Expander(const Config& cfg, ExpandReport* rep) : cfg_(cfg), rep_(rep) {}

  void text(std::string_view s, int depth, std::string& out) {
    size_t i = 0;
    while (i < s.size()) {
      size_t d = s.find('$', i);
      std::string_view lit = s.substr(i, d == std::string_view::npos ? d : d - i);
      // Counts every character copied during this lookup, including into
      // the scratch strings of ${name?...}, so fan-out cannot multiply work.
      if (lit.size() + 1 > kMaxExpandedLength - appended_) {
        out.append(lit.substr(0, kMaxExpandedLength - appended_));
        appended_ = kMaxExpandedLength;
        return mark_truncated();
      }
      appended_ += lit.size() + 1;
      out.append(lit);
      if (d == std::string_view::npos) break;
      Ref r = scan_ref(s, d);
      switch (r.kind) {
        case Ref::Kind::literal: out += '$'; break;
        case Ref::Kind::dollar: out += '$'; break;
        case Ref::Kind::plain: ref(r.name, depth, out); break;
        case Ref::Kind::if_set:
        case Ref::Kind::if_unset: {
          std::string v;
          ref(r.name, depth, v);
          if (v.empty() != (r.kind == Ref::Kind::if_unset)) break;
          if (depth + 1 >= kMaxDepth) {
            if (rep_) rep_->too_deep = true;
            break;
          }
          text(r.branch, depth + 1, out);
          break;
        }
      }
      i = r.end;
    }
  }

  void ref(std::string_view name, int depth, std::string& out) {
    if (++refs_ > kMaxReferences) return mark_truncated();
    if (depth >= kMaxDepth) {
      if (rep_) rep_->too_deep = true;
      return;
    }
    if (std::find(stack_.begin(), stack_.end(), name) != stack_.end()) {
      if (rep_) note(rep_->loops, name);
      return;
    }
    stack_.push_back(name);
    value(name, depth + 1, out);
    stack_.pop_back();
  }

 private:
  void value(std::string_view name, int depth, std::string& out) {
    const auto& raw = cfg_.raw();
    for (auto it = raw.rbegin(); it != raw.rend(); ++it)
      if (it->first == name) return text(it->second, depth, out);
    if (name == "myhostname") {
      out += system_hostname();
    } else if (name == "mydomain") {
      std::string host;
      ref("myhostname", depth, host);
      out += domain_of(host);
    } else if (const ParamDef* def = find_param(name)) {
      text(def->default_value, depth, out);
    } else if (rep_) {
      note(rep_->unknown, name);
    }
  }

  void mark_truncated() {
    if (rep_) rep_->truncated = true;
  }

  static void note(std::vector<std::string>& v, std::string_view name) {
    if (std::find(v.begin(), v.end(), name) == v.end()) v.emplace_back(name);
  }

  const Config& cfg_;
  ExpandReport* rep_;
  std::vector<std::string_view> stack_;
  size_t refs_ = 0;
  size_t appended_ = 0;
};

}  // namespace

std::string expand(const Config& cfg, std::string_view text, ExpandReport* report) {
  std::string out;
  Expander(cfg, report).text(text, 0, out);
  return out;
}

std::string expand_param(const Config& cfg, std::string_view name, ExpandReport* report) {
  std::string out;
  Expander(cfg, report).ref(name, 0, out);
  return out;
}

namespace {
void collect_refs(std::string_view s, int depth, std::vector<std::string>& out) {
  for (size_t i = s.find('$'); i < s.size(); i = s.find('$', i)) {
    Ref r = scan_ref(s, i);
    if (r.kind != Ref::Kind::literal && r.kind != Ref::Kind::dollar) out.emplace_back(r.name);
    bool branch = r.kind == Ref::Kind::if_set || r.kind == Ref::Kind::if_unset;
    if (branch && depth + 1 < kMaxDepth) collect_refs(r.branch, depth + 1, out);
    i = r.end;
  }
}
}  // namespace

std::vector<std::string> references(std::string_view s) {
  std::vector<std::string> out;
  collect_refs(s, 0, out);
  return out;
}

std::string system_hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

std::string domain_of(std::string_view host) {
  size_t dot = host.find('.');
  if (dot == std::string_view::npos || dot + 1 >= host.size()) return "localdomain";
  return std::string(host.substr(dot + 1));
}

}  // namespace tern::config::detail
