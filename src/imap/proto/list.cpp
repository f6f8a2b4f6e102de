// LIST's argument grammar (list.h): RFC 5258 section 6's
//   list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat
//          [SP list-return-opts]
// with the options tern offers.
#include "imap/proto/list.h"

namespace tern::imap {
namespace {

// A pattern: an atom with list-wildcards, or a string (RFC 3501 list-mailbox).
bool pattern_of(const Value& v, std::string& out) {
  if (v.kind == Value::Kind::list || v.streamed) return false;
  out = v.text;
  return true;
}

std::string parse_selection(const Value& opts, ListRequest& r) {
  for (const auto& o : opts.items) {
    std::string w = o.keyword();
    if (w == "SUBSCRIBED") r.select_subscribed = true;
    else if (w == "SPECIAL-USE") r.select_special_use = true;
    else if (w == "RECURSIVEMATCH") r.recursive_match = true;
    else if (w == "REMOTE") continue;  // no remote mailboxes here: nothing more to list
    else return "Unknown LIST selection option.";
  }
  // RFC 5258 3: RECURSIVEMATCH alone says nothing; it needs another option.
  if (r.recursive_match && !r.select_subscribed && !r.select_special_use)
    return "RECURSIVEMATCH needs another selection option.";
  return {};
}

std::string parse_return(const Value& opts, ListRequest& r) {
  for (size_t i = 0; i < opts.items.size(); ++i) {
    std::string w = opts.items[i].keyword();
    if (w == "SUBSCRIBED") r.return_subscribed = true;
    else if (w == "CHILDREN") r.return_children = true;
    else if (w == "SPECIAL-USE") r.return_special_use = true;
    else if (w == "STATUS") {
      if (i + 1 >= opts.items.size() || opts.items[i + 1].kind != Value::Kind::list || opts.items[i + 1].items.empty())
        return "STATUS takes a list of status items.";
      for (const auto& item : opts.items[++i].items) {
        std::string s = item.keyword();
        if (!is_status_item(s)) return "Unknown STATUS item.";
        r.status_items.push_back(s);
      }
    } else {
      return "Unknown LIST return option.";
    }
  }
  return {};
}

}  // namespace

bool is_status_item(std::string_view w) {
  return w == "MESSAGES" || w == "UIDNEXT" || w == "UIDVALIDITY" || w == "UNSEEN" || w == "SIZE" || w == "RECENT" ||
         w == "DELETED" || w == "APPENDLIMIT" || w == "HIGHESTMODSEQ";
}

std::variant<ListRequest, std::string> parse_list(const std::vector<Value>& a) {
  ListRequest r;
  const std::string usage = "LIST takes a reference and a mailbox pattern.";
  size_t i = 0;
  if (i < a.size() && a[i].kind == Value::Kind::list) {
    r.extended = true;
    if (auto e = parse_selection(a[i], r); !e.empty()) return e;
    ++i;
  }
  if (i + 2 > a.size() || a[i].kind == Value::Kind::list || a[i].streamed) return usage;
  r.reference = a[i++].text;
  if (a[i].kind == Value::Kind::list) {
    r.extended = true;
    if (a[i].items.empty()) return usage;
    for (const auto& p : a[i].items) {
      std::string s;
      if (!pattern_of(p, s)) return usage;
      r.patterns.push_back(std::move(s));
    }
  } else {
    std::string s;
    if (!pattern_of(a[i], s)) return usage;
    r.patterns.push_back(std::move(s));
  }
  ++i;
  if (i < a.size()) {
    if (a[i].keyword() != "RETURN" || i + 2 != a.size() || a[i + 1].kind != Value::Kind::list) return usage;
    r.extended = true;
    if (auto e = parse_return(a[i + 1], r); !e.empty()) return e;
  }
  return r;
}

}  // namespace tern::imap
