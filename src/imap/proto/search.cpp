// The SEARCH criteria parser (search.h): one key at a time from the
// argument tree, recursing into groups, NOT and OR.
#include "imap/proto/search.h"

#include <algorithm>
#include <array>
#include <utility>

#include "imap/proto/chars.h"

namespace tern::imap {

namespace {

using Op = SearchKey::Op;

struct Parser {
  const std::vector<Value>& args;
  size_t pos;
  const SearchLimits& limits;
  std::string error;

  bool fail(std::string e) {
    if (error.empty()) error = std::move(e);
    return false;
  }
  const Value* take() { return pos < args.size() ? &args[pos++] : nullptr; }

  bool astring(std::string& out) {
    const Value* v = take();
    auto s = v ? v->astring() : std::nullopt;
    if (!s) return fail("Missing string argument");
    out.assign(*s);
    return true;
  }
  bool number(uint64_t& out, uint64_t max) {
    const Value* v = take();
    if (!v || v->kind != Value::Kind::number || v->number > max) return fail("Missing or invalid number");
    out = v->number;
    return true;
  }
  bool date(Date& out) {
    const Value* v = take();
    auto s = v ? v->astring() : std::nullopt;
    auto d = s ? parse_date(*s) : std::nullopt;
    if (!d) return fail("Invalid date");
    out = *d;
    return true;
  }

  bool key(const Value& v, SearchKey& k, size_t depth) {
    if (depth > limits.max_depth) return fail("Search too deeply nested");
    if (v.kind == Value::Kind::list) {
      k.op = Op::and_;
      if (v.items.empty()) return fail("Empty search group");
      Parser inner{v.items, 0, limits, {}};
      while (inner.pos < v.items.size()) {
        SearchKey child;
        if (!inner.key(*inner.take(), child, depth + 1)) return fail(inner.error);
        k.children.push_back(std::move(child));
      }
      return true;
    }
    if (v.kind != Value::Kind::atom && v.kind != Value::Kind::number) return fail("Invalid search key");
    std::string name = upper(v.text);
    static const std::array<std::pair<const char*, Op>, 13> flags{{
        {"ANSWERED", Op::answered}, {"DELETED", Op::deleted}, {"DRAFT", Op::draft},
        {"FLAGGED", Op::flagged}, {"RECENT", Op::recent}, {"SEEN", Op::seen},
        {"NEW", Op::new_}, {"OLD", Op::old}, {"UNANSWERED", Op::unanswered},
        {"UNDELETED", Op::undeleted}, {"UNDRAFT", Op::undraft}, {"UNFLAGGED", Op::unflagged},
        {"UNSEEN", Op::unseen},
    }};
    static const std::array<std::pair<const char*, Op>, 7> strings{{
        {"BCC", Op::bcc}, {"BODY", Op::body}, {"CC", Op::cc}, {"FROM", Op::from},
        {"SUBJECT", Op::subject}, {"TEXT", Op::text}, {"TO", Op::to},
    }};
    static const std::array<std::pair<const char*, Op>, 6> dates{{
        {"BEFORE", Op::before}, {"ON", Op::on}, {"SINCE", Op::since},
        {"SENTBEFORE", Op::sentbefore}, {"SENTON", Op::senton}, {"SENTSINCE", Op::sentsince},
    }};
    if (name == "ALL") return k.op = Op::all, true;
    for (const auto& [n, op] : flags)
      if (name == n) return k.op = op, true;
    for (const auto& [n, op] : strings)
      if (name == n) return k.op = op, astring(k.text);
    for (const auto& [n, op] : dates)
      if (name == n) return k.op = op, date(k.date);
    if (name == "KEYWORD" || name == "UNKEYWORD") {
      k.op = name == "KEYWORD" ? Op::keyword : Op::unkeyword;
      const Value* f = take();
      if (!f || f->kind != Value::Kind::atom) return fail("Missing keyword");
      for (char c : f->text)
        if (!is_atom_char(c)) return fail("Invalid keyword");
      k.text = f->text;
      return true;
    }
    if (name == "HEADER") {
      k.op = Op::header;
      return astring(k.field) && astring(k.text);
    }
    if (name == "LARGER" || name == "SMALLER") {
      k.op = name == "LARGER" ? Op::larger : Op::smaller;
      return number(k.number, UINT32_MAX);
    }
    if (name == "UID") {
      k.op = Op::uid;
      const Value* s = take();
      auto set = s && (s->kind == Value::Kind::atom || s->kind == Value::Kind::number)
                     ? parse_sequence_set(s->text) : std::nullopt;
      if (!set) return fail("Invalid UID set");
      k.set = std::move(*set);
      return true;
    }
    if (name == "NOT") {
      k.op = Op::not_;
      k.children.resize(1);
      const Value* c = take();
      return c ? key(*c, k.children[0], depth + 1) : fail("NOT without a key");
    }
    if (name == "OR") {
      k.op = Op::or_;
      k.children.resize(2);
      for (auto& child : k.children) {
        const Value* c = take();
        if (!c) return fail("OR needs two keys");
        if (!key(*c, child, depth + 1)) return false;
      }
      return true;
    }
    if (name == "MODSEQ") {
      // MODSEQ [entry-name entry-type-req] mod-sequence-valzer (RFC 7162 3.1.5)
      k.op = Op::modseq;
      if (pos < args.size() && args[pos].kind == Value::Kind::quoted) {
        k.field = args[pos++].text;
        const Value* t = take();
        std::string type = t ? t->keyword() : "";
        if (type != "PRIV" && type != "SHARED" && type != "ALL") return fail("Invalid MODSEQ entry type");
        k.text = type;
      }
      return number(k.number, INT64_MAX);
    }
    auto set = parse_sequence_set(v.text);
    if (!set) return fail("Unknown search key");
    k.op = Op::seqset;
    k.set = std::move(*set);
    return true;
  }
};

}  // namespace

std::optional<Date> parse_date(std::string_view s) {
  static const char* months[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                 "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  size_t d1 = s.find('-');
  if (d1 == std::string_view::npos || d1 == 0 || d1 > 2 || s.size() != d1 + 9 || s[d1 + 4] != '-')
    return std::nullopt;
  uint64_t day = 0, year = 0;
  if (!parse_uint(s.substr(0, d1), 99, day) || !parse_uint(s.substr(d1 + 5), 9999, year)) return std::nullopt;
  Date d;
  for (int m = 0; m < 12; ++m)
    if (iequals(s.substr(d1 + 1, 3), months[m])) d.month = m + 1;
  if (d.month == 0) return std::nullopt;
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  int max = days[d.month - 1] + (d.month == 2 && leap ? 1 : 0);
  if (day < 1 || static_cast<int>(day) > max) return std::nullopt;
  d.day = static_cast<int>(day);
  d.year = static_cast<int>(year);
  return d;
}

std::optional<PartialRange> parse_partial_range(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  uint64_t a = 0, b = 0;
  if (!parse_uint(s.substr(0, colon), UINT32_MAX, a) || !parse_uint(s.substr(colon + 1), UINT32_MAX, b) || a == 0 ||
      b == 0)
    return std::nullopt;
  return PartialRange{static_cast<uint32_t>(std::min(a, b)), static_cast<uint32_t>(std::max(a, b))};
}

std::optional<SearchError> parse_return_options(const Value* opts, SearchRequest& req) {
  if (!opts || opts->kind != Value::Kind::list) return SearchError{"RETURN needs a list"};
  req.esearch = true;
  bool asked = false;  // an option that says what to return (not CONTEXT)
  const auto& items = opts->items;
  for (size_t i = 0; i < items.size(); ++i) {
    std::string n = items[i].keyword();
    if (n == "CONTEXT") continue;  // RFC 5267 4.2: a hint servers may ignore
    asked = true;
    if (n == "MIN") req.ret_min = true;
    else if (n == "MAX") req.ret_max = true;
    else if (n == "ALL") req.ret_all = true;
    else if (n == "COUNT") req.ret_count = true;
    else if (n == "SAVE") req.ret_save = true;
    else if (n == "UPDATE") {
      if (req.ret_update) return SearchError{"UPDATE given twice"};
      req.ret_update = true;
    } else if (n == "PARTIAL") {
      if (req.partial) return SearchError{"PARTIAL given twice"};
      const Value* r = i + 1 < items.size() ? &items[++i] : nullptr;
      auto range = r && r->kind == Value::Kind::atom ? parse_partial_range(r->text) : std::nullopt;
      if (!range) return SearchError{"PARTIAL needs a range low:high of non-zero numbers"};
      req.partial = range;
    } else {
      return SearchError{"Unknown RETURN option"};
    }
  }
  if (req.partial && req.ret_all) return SearchError{"PARTIAL and ALL cannot be used together"};
  // RFC 4731 3.1: RETURN () means RETURN (ALL).
  if (!asked) req.ret_all = true;
  return std::nullopt;
}

std::variant<SearchRequest, SearchError> parse_search(const std::vector<Value>& args, size_t first,
                                                      const SearchLimits& limits) {
  SearchRequest req;
  Parser p{args, first, limits, {}};
  if (p.pos < args.size() && args[p.pos].keyword() == "RETURN") {
    ++p.pos;
    if (auto e = parse_return_options(p.take(), req)) return *e;
  }
  if (p.pos < args.size() && args[p.pos].keyword() == "CHARSET") {
    ++p.pos;
    const Value* cs = p.take();
    auto name = cs ? cs->astring() : std::nullopt;
    if (!name) return SearchError{"CHARSET needs a name"};
    req.charset = upper(*name);
    if (req.charset != "UTF-8" && req.charset != "US-ASCII")
      return SearchError{"Unsupported charset", true};
  }
  req.root.op = Op::and_;
  if (p.pos >= args.size()) return SearchError{"Missing search criteria"};
  while (p.pos < args.size()) {
    SearchKey k;
    if (!p.key(*p.take(), k, 0)) return SearchError{p.error};
    req.root.children.push_back(std::move(k));
  }
  return req;
}

}  // namespace tern::imap
