// Implementation of forward_path expansion and .forward parsing (see dot_forward.h).
#include "delivery/dot_forward.h"

#include <fmt/format.h>

#include "base/strings.h"
#include "mail/address.h"
#include "rewrite/alias_list.h"

namespace tern::delivery {

namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

const std::string* local_var(const ForwardVars& v, std::string_view name) {
  if (name == "user") return &v.user;
  if (name == "home") return &v.home;
  if (name == "shell") return &v.shell;
  if (name == "extension") return &v.extension;
  if (name == "recipient") return &v.recipient;
  if (name == "local") return &v.local;
  if (name == "domain") return &v.domain;
  if (name == "recipient_delimiter") return &v.delimiter;
  return nullptr;
}

// $name, ${name}, ${name?text}, ${name:text}, $$, as main.cf does, but with
// the delivery-time names first; other names are main.cf parameters.
class PathExpander {
 public:
  PathExpander(const ForwardVars& v, const config::Config* cfg) : v_(v), cfg_(cfg) {}

  void text(std::string_view s, int depth, std::string& out) {
    size_t i = 0;
    while (i < s.size()) {
      if (s[i] != '$' || i + 1 >= s.size()) {
        out += s[i++];
        continue;
      }
      char c = s[i + 1];
      if (c == '$') {
        out += '$';
        i += 2;
      } else if (name_char(c)) {
        size_t e = i + 1;
        while (e < s.size() && name_char(s[e])) ++e;
        out += value(s.substr(i + 1, e - i - 1));
        i = e;
      } else if (c == '{' || c == '(') {
        char close = c == '{' ? '}' : ')';
        size_t e = i + 2;
        while (e < s.size() && name_char(s[e])) ++e;
        if (e >= s.size() || e == i + 2) {
          out += s[i++];
          continue;
        }
        std::string_view name = s.substr(i + 2, e - i - 2);
        if (s[e] == close) {
          out += value(name);
          i = e + 1;
          continue;
        }
        if (s[e] != '?' && s[e] != ':') {
          out += s[i++];
          continue;
        }
        size_t m = matching(s, e + 1, c, close);
        if (m == std::string_view::npos) {
          out += s[i++];
          continue;
        }
        bool set = !value(name).empty();
        if (set == (s[e] == '?') && depth < 10) text(s.substr(e + 1, m - e - 1), depth + 1, out);
        i = m + 1;
      } else {
        out += s[i++];
      }
    }
  }

 private:
  static size_t matching(std::string_view s, size_t i, char open, char close) {
    int level = 1;
    for (; i < s.size(); ++i) {
      if (s[i] == open) ++level;
      if (s[i] == close && --level == 0) return i;
    }
    return std::string_view::npos;
  }
  std::string value(std::string_view name) {
    if (auto* p = local_var(v_, name)) return *p;
    return cfg_ ? cfg_->get(name) : std::string();
  }
  const ForwardVars& v_;
  const config::Config* cfg_;
};

bool has_control(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

}  // namespace

std::vector<std::string> expand_forward_path(std::string_view text, const ForwardVars& v_in,
                                             const config::Config* cfg) {
  ForwardVars v = v_in;
  // An extension is attacker text (RCPT): one that could climb out of the
  // home directory or hide in a file name drops its candidate.
  bool bad_ext = v.extension.find('/') != std::string::npos || has_control(v.extension) ||
                 (!v.extension.empty() && v.extension[0] == '.');
  std::vector<std::string> out;
  for (auto& spec : str::split(std::string(text), ',')) {
    auto t = str::trim(spec);
    if (t.empty()) continue;
    if (bad_ext && t.find("extension") != std::string_view::npos) continue;
    // No home (or a relative one): "$home/.forward" must not become "/.forward".
    if ((v.home.empty() || v.home[0] != '/') && t.find("home") != std::string_view::npos) continue;
    std::string path;
    PathExpander(v, cfg).text(t, 0, path);
    if (path.empty() || path[0] != '/' || has_control(path)) continue;
    out.push_back(std::move(path));
  }
  return out;
}

std::vector<std::string> forward_candidates(const config::Config& cfg, const ForwardVars& v) {
  // The raw text: get() would expand $home, not a parameter, to nothing.
  std::string raw;
  bool found = false;
  for (auto it = cfg.raw().rbegin(); it != cfg.raw().rend() && !found; ++it)
    if (it->first == "forward_path") {
      raw = it->second;
      found = true;
    }
  if (!found)
    if (const auto* def = config::find_param("forward_path")) raw = def->default_value;
  return expand_forward_path(raw, v, &cfg);
}

ForwardList parse_forward(std::string_view text) {
  ForwardList out;
  std::string joined;
  size_t lineno = 0;
  for (auto& line : str::split(std::string(text), '\n')) {
    ++lineno;
    auto t = str::trim(line);
    if (t.empty() || t[0] == '#') continue;
    // Each line stands alone: a quote left open must not swallow the next.
    if (auto line_items = rewrite::split_alias_list(t); !line_items) {
      out.refused.push_back(fmt::format("line {}: {}", lineno, line_items.error().detail));
      continue;
    }
    if (!joined.empty()) joined += ',';
    joined += t;
  }
  size_t n = 0;
  // Every line passed alone, so the whole does too.
  auto items = rewrite::split_alias_list(joined);
  if (!items) return out;
  for (auto& item : *items) {
    ++n;
    if (out.items.size() >= kMaxForwardItems) {
      out.refused.push_back(fmt::format("items after the {}th ignored", kMaxForwardItems));
      break;
    }
    if (has_control(item)) {
      out.refused.push_back(fmt::format("item {}: control character", n));
      continue;
    }
    ForwardItem f;
    if (item[0] == '|') {
      f.kind = ForwardItem::Kind::command;
      f.value = std::string(str::trim(std::string_view(item).substr(1)));
      if (f.value.empty()) {
        out.refused.push_back(fmt::format("item {}: empty command", n));
        continue;
      }
    } else if (item[0] == '/') {
      f.kind = ForwardItem::Kind::file;
      f.value = item;
    } else if (str::istarts_with(item, ":include:")) {
      f.kind = ForwardItem::Kind::include;
      f.value = std::string(str::trim(std::string_view(item).substr(9)));
    } else {
      bool backslash = item[0] == '\\';
      std::string_view a = std::string_view(item).substr(backslash ? 1 : 0);
      mail::PathOptions opt;
      opt.require_brackets = !a.empty() && a[0] == '<';
      opt.allow_utf8 = true;
      opt.allow_no_domain = true;
      auto parsed = mail::parse_path(a, opt);
      if (!parsed || parsed->is_null()) {
        out.refused.push_back(fmt::format("item {}: not an address", n));
        continue;
      }
      f.kind = backslash && parsed->domain.empty() ? ForwardItem::Kind::mailbox : ForwardItem::Kind::address;
      f.value = parsed->str();
    }
    out.items.push_back(std::move(f));
  }
  return out;
}

}  // namespace tern::delivery
