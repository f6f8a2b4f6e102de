// SEARCH key evaluation (see search_eval.h).
#include "imap/server/search_eval.h"

#include <algorithm>

#include "imap/proto/chars.h"
#include "imap/server/message_text.h"

namespace tern::imap {
namespace {

using Op = SearchKey::Op;

bool has_keyword(const SearchSubject& m, const std::string& k) {
  if (iequals(k, "$Forwarded")) return m.flags & store::kFlagForwarded;
  if (m.keywords)
    for (const auto& have : *m.keywords)
      if (iequals(have, k)) return true;
  return false;
}

bool header_has(SearchSubject& m, std::string_view field, const std::string& text) {
  const std::string* h = m.header();
  if (!h) return false;
  auto v = header_values(*h, field);
  return v && icontains(*v, text);
}

int compare_date(const CivilDate& a, const Date& d) {
  CivilDate b{d.year, d.month, d.day};
  return a < b ? -1 : a == b ? 0 : 1;
}

std::optional<CivilDate> sent_date(SearchSubject& m) {
  const std::string* h = m.header();
  if (!h) return std::nullopt;
  auto v = header_values(*h, "Date");
  return v ? parse_rfc5322_date(*v) : std::nullopt;
}

bool date_test(Op op, const CivilDate& have, const Date& d) {
  int c = compare_date(have, d);
  switch (op) {
    case Op::before: case Op::sentbefore: return c < 0;
    case Op::on: case Op::senton: return c == 0;
    default: return c >= 0;  // since, sentsince
  }
}

}  // namespace

bool search_matches(const SearchKey& key, SearchSubject& m) {
  switch (key.op) {
    case Op::all: return true;
    case Op::and_:
      for (const auto& c : key.children)
        if (!search_matches(c, m)) return false;
      return true;
    case Op::or_:
      for (const auto& c : key.children)
        if (search_matches(c, m)) return true;
      return false;
    case Op::not_: return key.children.empty() || !search_matches(key.children[0], m);
    // "$" names the same messages as a message set or a UID set (RFC 5182 2.1).
    case Op::seqset:
      if (key.set.saved) return m.saved && std::binary_search(m.saved->begin(), m.saved->end(), m.uid);
      return key.set.contains(m.msn, m.max_msn);
    case Op::uid:
      if (key.set.saved) return m.saved && std::binary_search(m.saved->begin(), m.saved->end(), m.uid);
      return key.set.contains(m.uid, m.max_uid);
    case Op::answered: return m.flags & store::kFlagAnswered;
    case Op::deleted: return m.flags & store::kFlagDeleted;
    case Op::draft: return m.flags & store::kFlagDraft;
    case Op::flagged: return m.flags & store::kFlagFlagged;
    case Op::seen: return m.flags & store::kFlagSeen;
    case Op::unanswered: return !(m.flags & store::kFlagAnswered);
    case Op::undeleted: return !(m.flags & store::kFlagDeleted);
    case Op::undraft: return !(m.flags & store::kFlagDraft);
    case Op::unflagged: return !(m.flags & store::kFlagFlagged);
    case Op::unseen: return !(m.flags & store::kFlagSeen);
    case Op::recent: case Op::new_: return false;  // tern reports no message as \Recent
    case Op::old: return true;
    case Op::keyword: return has_keyword(m, key.text);
    case Op::unkeyword: return !has_keyword(m, key.text);
    case Op::bcc: return header_has(m, "Bcc", key.text);
    case Op::cc: return header_has(m, "Cc", key.text);
    case Op::from: return header_has(m, "From", key.text);
    case Op::to: return header_has(m, "To", key.text);
    case Op::subject: return header_has(m, "Subject", key.text);
    case Op::header: return header_has(m, key.field, key.text);
    case Op::body: {
      const std::string* b = m.bytes();
      return b && icontains(text_of(*b), key.text);
    }
    case Op::text: {
      const std::string* b = m.bytes();
      return b && icontains(*b, key.text);
    }
    case Op::before: case Op::on: case Op::since:
      return date_test(key.op, civil_date(m.internal_date_s), key.date);
    case Op::sentbefore: case Op::senton: case Op::sentsince: {
      auto d = sent_date(m);
      return d && date_test(key.op, *d, key.date);
    }
    case Op::larger: return m.size() > key.number;
    case Op::smaller: return m.size() < key.number;
    case Op::modseq: return m.modseq >= key.number;
  }
  return false;
}

}  // namespace tern::imap
