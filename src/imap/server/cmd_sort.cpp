// SORT and UID SORT (RFC 5256) with SORT=DISPLAY (RFC 5957) and ESORT's
// RETURN options (RFC 5267): the messages that match the search, in the
// order of the criteria, ties broken by sequence number. THREAD and UID
// THREAD (RFC 5256 section 3, thread.h) over the same rows. Strings compare
// with i;ascii-casemap (RFC 5256's default); SUBJECT compares base
// subjects; DATE is the Date: header, or INTERNALDATE when it has none or
// cannot be parsed; a missing address sorts as the empty string. RFC
// 5267's PARTIAL, UPDATE (CONTEXT=SORT: cmd_context.cpp) and CONTEXT return
// options as SEARCH has them, PARTIAL's positions in the sorted order.
//
// The header fields come from the MIME seam (message_structure.h,
// MessageParser::sort_fields); with no parser wired, a SORT that needs
// them, or a THREAD, is NO [CANNOT] (SIZE and ARRIVAL alone still work).
#include <algorithm>

#include "imap/proto/chars.h"
#include "imap/proto/sort.h"
#include "imap/proto/thread.h"
#include "imap/server/message_text.h"
#include "imap/server/session.h"

namespace tern::imap {
namespace {

using Key = SortCriterion::Key;

// i;ascii-casemap: compare upper-cased.
std::string casemap(std::string_view s) { return upper(s); }

using Row = Session::SortRow;

int compare(const Row& a, const Row& b, Key key) {
  auto cmp = [](const auto& x, const auto& y) { return x < y ? -1 : y < x ? 1 : 0; };
  switch (key) {
    case Key::arrival: return cmp(a.arrival, b.arrival);
    case Key::date: return cmp(a.date, b.date);
    case Key::size: return cmp(a.size, b.size);
    case Key::subject: return cmp(a.fields.subject, b.fields.subject);
    case Key::from: return cmp(a.fields.from, b.fields.from);
    case Key::to: return cmp(a.fields.to, b.fields.to);
    case Key::cc: return cmp(a.fields.cc, b.fields.cc);
    case Key::display_from: return cmp(a.fields.display_from, b.fields.display_from);
    case Key::display_to: return cmp(a.fields.display_to, b.fields.display_to);
  }
  return 0;
}

}  // namespace

asio::awaitable<void> Session::cmd_sort(const Call& k) {
  auto parsed = parse_sort(k.c.args, k.first);
  SearchError* error = std::get_if<SearchError>(&parsed);
  SortRequest* req = std::get_if<SortRequest>(&parsed);
  if (search_refused(k, error, req ? &req->search : nullptr)) co_return;
  bool headers = std::any_of(req->criteria.begin(), req->criteria.end(), [](const SortCriterion& c) {
    return c.key != Key::arrival && c.key != Key::size;
  });
  if (context_tag_taken(k, req->search)) co_return;
  if (headers && !services_->structure) {
    no(k, "[CANNOT] Sorting and threading by header fields are not available.");
    co_return;
  }
  std::vector<Row> rows = sorted_rows(req->search.root, req->criteria);
  std::vector<uint32_t> order, msns;
  for (const Row& r : rows) {
    order.push_back(k.uid ? r.uid : r.msn);
    msns.push_back(r.msn);
  }
  const uint64_t modseq = hits_modseq(req->search.root, msns);
  if (!req->search.esearch) {
    std::string line = "SORT";
    for (uint32_t n : order) line += " " + std::to_string(n);
    if (modseq) line += " (MODSEQ " + std::to_string(modseq) + ")";
    untagged(line);
  } else {
    untagged(esearch_line(k, req->search, order) + (modseq ? " MODSEQ " + std::to_string(modseq) : ""));
  }
  if (req->search.ret_update) {
    std::vector<uint32_t> uids;
    for (const Row& r : rows) uids.push_back(r.uid);
    open_context(k, req->search.root, &req->criteria, std::move(uids));
  }
  ok(k, "Sort completed.", k.uid);
}

asio::awaitable<void> Session::cmd_thread(const Call& k) {
  auto parsed = parse_thread(k.c.args, k.first);
  SearchError* error = std::get_if<SearchError>(&parsed);
  ThreadRequest* req = std::get_if<ThreadRequest>(&parsed);
  if (search_refused(k, error, req ? &req->search : nullptr)) co_return;
  auto rows = sort_rows(k, req->search.root, true);
  if (!rows) co_return;
  std::vector<ThreadMessage> msgs;
  for (Row& r : *rows) {
    ThreadMessage m;
    m.number = k.uid ? r.uid : r.msn;
    m.message_id = std::move(r.fields.message_id);
    m.references = std::move(r.fields.references);
    m.base_subject = std::move(r.fields.subject);
    m.reply = r.reply;
    m.date = r.date;
    msgs.push_back(std::move(m));
  }
  untagged("THREAD " + thread_list(msgs, req->algorithm));
  ok(k, "Thread completed.", k.uid);
}

std::optional<std::vector<Session::SortRow>> Session::sort_rows(const Call& k, const SearchKey& root, bool headers) {
  if (headers && !services_->structure) {
    no(k, "[CANNOT] Sorting and threading by header fields are not available.");
    return std::nullopt;
  }
  return matching_rows(root, headers);
}

std::vector<Session::SortRow> Session::sorted_rows(const SearchKey& root, const std::vector<SortCriterion>& criteria) {
  bool headers = std::any_of(criteria.begin(), criteria.end(), [](const SortCriterion& c) {
    return c.key != Key::arrival && c.key != Key::size;
  });
  std::vector<Row> rows = matching_rows(root, headers && services_->structure);
  std::sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    for (const SortCriterion& c : criteria) {
      int d = compare(a, b, c.key);
      if (d != 0) return c.reverse ? d > 0 : d < 0;
    }
    return a.msn < b.msn;
  });
  return rows;
}

std::vector<Session::SortRow> Session::matching_rows(const SearchKey& root, bool headers) {
  std::vector<Row> rows;
  for (uint32_t msn : search_msns(root)) {
    Row r;
    r.msn = msn;
    r.uid = view_.at_msn(msn).uid;
    const store::MessageInfo* m = box_->find(r.uid);
    if (!m) continue;
    r.size = rfc822_size(*m);
    r.arrival = r.date = m->internal_date_s;
    if (headers) {
      const std::string* header = message_header(r.uid);
      if (!header) continue;  // expunged meanwhile
      SortFields f = services_->structure->sort_fields(*header);
      if (f.date_s) r.date = *f.date_s;
      r.fields.subject = base_subject(f.subject, &r.reply);
      r.fields.from = casemap(std::move(f.from));
      r.fields.to = casemap(std::move(f.to));
      r.fields.cc = casemap(std::move(f.cc));
      r.fields.display_from = casemap(std::move(f.display_from));
      r.fields.display_to = casemap(std::move(f.display_to));
      r.fields.message_id = std::move(f.message_id);
      r.fields.references = std::move(f.references);
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace tern::imap
