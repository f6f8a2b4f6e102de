// SORT's arguments and RFC 5256's base subject (see sort.h).
#include "imap/proto/sort.h"

#include "imap/proto/chars.h"

namespace tern::imap {
namespace {

using Key = SortCriterion::Key;

std::optional<Key> key_of(std::string_view w) {
  if (w == "ARRIVAL") return Key::arrival;
  if (w == "CC") return Key::cc;
  if (w == "DATE") return Key::date;
  if (w == "FROM") return Key::from;
  if (w == "SIZE") return Key::size;
  if (w == "SUBJECT") return Key::subject;
  if (w == "TO") return Key::to;
  if (w == "DISPLAYFROM") return Key::display_from;  // RFC 5957
  if (w == "DISPLAYTO") return Key::display_to;
  return std::nullopt;
}

// The end of the subj-blob ("[" *BLOBCHAR "]" *WSP) at s[i], or npos.
size_t blob_end(std::string_view s, size_t i) {
  if (i >= s.size() || s[i] != '[') return std::string_view::npos;
  size_t j = i + 1;
  while (j < s.size() && s[j] != '[' && s[j] != ']') ++j;
  if (j >= s.size() || s[j] != ']') return std::string_view::npos;
  ++j;
  while (j < s.size() && s[j] == ' ') ++j;
  return j;
}

// The end of subj-refwd (("RE" / "FW" ["D"]) *WSP [subj-blob] ":") at s[i], or npos.
size_t refwd_end(std::string_view s, size_t i) {
  size_t j;
  if (s.substr(i).starts_with("RE")) j = i + 2;
  else if (s.substr(i).starts_with("FWD")) j = i + 3;
  else if (s.substr(i).starts_with("FW")) j = i + 2;
  else return std::string_view::npos;
  while (j < s.size() && s[j] == ' ') ++j;
  if (size_t b = blob_end(s, j); b != std::string_view::npos) j = b;
  return j < s.size() && s[j] == ':' ? j + 1 : std::string_view::npos;
}

}  // namespace

std::variant<SortRequest, SearchError> parse_sort(const std::vector<Value>& args, size_t first) {
  SortRequest req;
  size_t i = first;
  if (i < args.size() && args[i].keyword() == "RETURN") {
    if (auto e = parse_return_options(i + 1 < args.size() ? &args[i + 1] : nullptr, req.search)) return *e;
    i += 2;
  }
  if (i >= args.size() || args[i].kind != Value::Kind::list || args[i].items.empty())
    return SearchError{"SORT needs a list of sort criteria"};
  bool reverse = false;
  for (const auto& item : args[i].items) {
    std::string w = item.keyword();
    if (w == "REVERSE" && !reverse) {
      reverse = true;
      continue;
    }
    auto key = key_of(w);
    if (!key) return SearchError{"Unknown sort criterion"};
    req.criteria.push_back({*key, reverse});
    reverse = false;
  }
  if (reverse) return SearchError{"REVERSE must precede a sort criterion"};
  auto keys = parse_charset_and_keys(args, i + 1);
  if (auto* e = std::get_if<SearchError>(&keys)) return *e;
  req.search.root = std::move(std::get<SearchRequest>(keys).root);
  req.search.charset = std::get<SearchRequest>(keys).charset;
  return req;
}

std::variant<SearchRequest, SearchError> parse_charset_and_keys(const std::vector<Value>& args, size_t i) {
  auto charset = i < args.size() ? args[i].astring() : std::nullopt;
  if (!charset) return SearchError{"A charset is needed before the search keys"};
  std::string cs = upper(*charset);
  if (cs != "UTF-8" && cs != "US-ASCII") return SearchError{"Unsupported charset", true};
  ++i;
  if (i >= args.size()) return SearchError{"Missing search criteria"};
  auto search = parse_search(args, i);
  if (auto* e = std::get_if<SearchError>(&search)) return *e;
  SearchRequest keys = std::get<SearchRequest>(std::move(search));
  if (keys.esearch || !keys.charset.empty()) return SearchError{"RETURN and CHARSET go before the criteria"};
  keys.charset = cs;
  return keys;
}

std::string base_subject(std::string_view in, bool* reply_or_forward) {
  bool reply = false;
  // (1) Folding and tabs become single spaces; ASCII letters upper-cased.
  std::string text;
  text.reserve(in.size());
  for (char c : in) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (!text.empty() && text.back() != ' ') text += ' ';
    } else {
      text += static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    }
  }
  std::string_view s = text;
  for (;;) {
    // (2) Trailing "(fwd)" and spaces.
    for (;;) {
      while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
      if (!s.ends_with("(FWD)")) break;
      s.remove_suffix(5);
      reply = true;
    }
    // (3)-(5) Leaders ("Re:", "[list] Fwd:", spaces) and leading blobs.
    for (bool changed = true; changed;) {
      changed = false;
      while (!s.empty() && s.front() == ' ') {
        s.remove_prefix(1);
        changed = true;
      }
      size_t run = 0, last_blob = 0;  // the blobs at the front, and where the last one starts
      for (size_t b; (b = blob_end(s, run)) != std::string_view::npos; run = b) last_blob = run;
      if (size_t r = refwd_end(s, run); r != std::string_view::npos) {
        s.remove_prefix(r);  // (3): *subj-blob subj-refwd
        changed = reply = true;
      } else if (run > 0) {
        // (4): a blob goes if something is left after it; of a run of
        // blobs with nothing after, all but the last.
        size_t cut = run < s.size() ? run : last_blob;
        if (cut > 0) {
          s.remove_prefix(cut);
          changed = true;
        }
      }
    }
    // (6) "[Fwd: ...]" around the whole: take it off and start again at (2).
    if (s.starts_with("[FWD:") && s.ends_with("]")) {
      s = s.substr(5, s.size() - 6);
      reply = true;
      continue;
    }
    if (reply_or_forward) *reply_or_forward = reply;
    return std::string(s);
  }
}

}  // namespace tern::imap
