// Raw display names of an address list (see raw_phrases.h).
#include "mime/raw_phrases.h"

namespace tern::mime {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "a \"b\"" -> a "b" when s is exactly one quoted string; else s.
std::string unquote(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return std::string(s);
  std::string out;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '"') return std::string(s);  // more than one word
    if (s[i] == '\\' && i + 2 < s.size()) ++i;
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

RawPhrases::RawPhrases(std::string_view v) {
  size_t begin = 0;
  int comment = 0;
  bool quoted = false;
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (quoted || comment > 0) {
      if (c == '\\') ++i;
      else if (quoted && c == '"') quoted = false;
      else if (!quoted && c == '(') ++comment;
      else if (!quoted && c == ')') --comment;
      continue;
    }
    if (c == '"') {
      quoted = true;
    } else if (c == '(') {
      comment = 1;
    } else if (c == ',' || c == ';' || c == ':') {
      begin = i + 1;
    } else if (c == '<') {
      size_t close = v.find('>', i);
      if (close == std::string_view::npos) break;
      elements_.push_back({trim(v.substr(begin, i - begin)), trim(v.substr(i + 1, close - i - 1))});
      i = close;
      begin = close + 1;
    }
  }
}

std::optional<std::string> RawPhrases::take(std::string_view addr) {
  for (size_t i = next_; i < elements_.size(); ++i) {
    if (elements_[i].addr != addr) continue;
    next_ = i + 1;
    if (elements_[i].phrase.empty()) return std::nullopt;
    return unquote(elements_[i].phrase);
  }
  return std::nullopt;
}

}  // namespace tern::mime
