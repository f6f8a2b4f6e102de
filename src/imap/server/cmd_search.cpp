// SEARCH and UID SEARCH (RFC 9051 6.4.4) over the view, evaluated by
// search_eval.h; "* SEARCH" with sequence numbers or UIDs, or "* ESEARCH"
// (RFC 4731) when RETURN (...) was given (MIN, MAX, COUNT, ALL, and SAVE:
// SEARCHRES, RFC 5182, the UIDs kept for "$" until the mailbox is left;
// SAVE alone answers nothing). After ENABLE IMAP4rev2 always ESEARCH (RFC
// 9051 6.4.4: ALL when no RETURN), and RECENT, NEW and OLD, which RFC 9051
// has no more, are BAD. The MODSEQ key (RFC 7162 3.1.5) turns
// CONDSTORE on and adds the highest mod-sequence of the hits to the answer:
// "(MODSEQ n)" after SEARCH's numbers, "MODSEQ n" in ESEARCH. RFC 5267:
// PARTIAL low:high answers "PARTIAL (low:high set)", the hits at those
// positions (NIL when none); UPDATE keeps the search live (cmd_context.cpp);
// CONTEXT is accepted and changes nothing.
#include <algorithm>
#include <functional>

#include "imap/proto/search.h"
#include "imap/proto/sequence_set.h"
#include "imap/server/message_size.h"
#include "imap/server/search_eval.h"
#include "imap/server/session.h"

namespace tern::imap {
namespace {

bool uses(const SearchKey& k, bool (*pred)(const SearchKey&)) {
  if (pred(k)) return true;
  for (const auto& c : k.children)
    if (uses(c, pred)) return true;
  return false;
}

// RFC 5267 4.4: the hits at positions low..high (1-based) of their order.
std::string partial_item(const PartialRange& r, const std::vector<uint32_t>& hits) {
  std::string item = " PARTIAL (" + std::to_string(r.low) + ":" + std::to_string(r.high) + " ";
  if (r.low > hits.size()) return item + "NIL)";
  auto first = hits.begin() + (r.low - 1);
  auto last = hits.begin() + std::min<size_t>(hits.size(), r.high);
  return item + format_sequence_set(std::vector<uint32_t>(first, last)) + ")";
}

}  // namespace

bool Session::search_refused(const Call& k, const SearchError* e, const SearchRequest* req, bool save_ok) {
  if (e) {
    if (e->bad_charset) no(k, "[BADCHARSET (US-ASCII UTF-8)] " + e->text);
    else bad(k, e->text);
    return true;
  }
  if (req->ret_save && !save_ok) {
    bad(k, "SAVE is offered by SEARCH only.");
    return true;
  }
  if (rev2_ && uses(req->root, [](const SearchKey& x) {
        return x.op == SearchKey::Op::recent || x.op == SearchKey::Op::new_ || x.op == SearchKey::Op::old;
      })) {
    if (req->ret_save) saved_uids_.clear();  // RFC 5182 2.1: a failed SAVE leaves "$" empty
    bad(k, "RECENT, NEW and OLD are not IMAP4rev2 search keys.");
    return true;
  }
  if (uses(req->root, [](const SearchKey& x) { return x.op == SearchKey::Op::modseq; })) {
    enable_condstore();
    if (box_ && !box_->modseqs_enabled()) {  // RFC 7162 3.1.2: a NOMODSEQ mailbox
      bad(k, "This mailbox has no mod-sequences (NOMODSEQ).");
      return true;
    }
  }
  return false;
}

uint64_t Session::hits_modseq(const SearchKey& root, const std::vector<uint32_t>& msns) {
  if (!uses(root, [](const SearchKey& x) { return x.op == SearchKey::Op::modseq; })) return 0;
  uint64_t top = 0;
  for (uint32_t msn : msns)
    if (const store::MessageInfo* m = box_->find(view_.at_msn(msn).uid)) top = std::max(top, m->modseq);
  return top;
}

std::string Session::esearch_line(const Call& k, const SearchRequest& req, const std::vector<uint32_t>& hits) {
  std::string line = "ESEARCH (TAG \"" + k.c.tag + "\")";
  if (k.uid) line += " UID";
  // Without RETURN (IMAP4rev2's ESEARCH) ALL; with it, only what was asked.
  bool all = req.ret_all || !req.esearch;
  if (req.ret_min && !hits.empty()) line += " MIN " + std::to_string(hits.front());
  if (req.ret_max && !hits.empty()) line += " MAX " + std::to_string(hits.back());
  if (req.ret_count) line += " COUNT " + std::to_string(hits.size());
  if (all && !hits.empty()) line += " ALL " + format_sequence_set(hits);
  if (req.partial) line += partial_item(*req.partial, hits);
  return line;
}

asio::awaitable<void> Session::cmd_search(const Call& k) {
  auto parsed = parse_search(k.c.args, k.first);
  if (search_refused(k, std::get_if<SearchError>(&parsed), std::get_if<SearchRequest>(&parsed), true)) co_return;
  const auto& req = std::get<SearchRequest>(parsed);
  if (context_tag_taken(k, req)) co_return;
  std::vector<uint32_t> hits;  // numbers to answer: UIDs or sequence numbers
  const std::vector<uint32_t> msns = search_msns(req.root);
  for (uint32_t msn : msns) hits.push_back(k.uid ? view_.at_msn(msn).uid : msn);
  const uint64_t modseq = hits_modseq(req.root, msns);
  if (req.ret_save) {
    // RFC 5182 2.4: with MIN or MAX, only those are saved.
    std::vector<uint32_t> keep = msns;
    if ((req.ret_min || req.ret_max) && !msns.empty()) {
      keep.clear();
      if (req.ret_min) keep.push_back(msns.front());
      if (req.ret_max && (!req.ret_min || msns.size() > 1)) keep.push_back(msns.back());
    }
    saved_uids_.clear();
    for (uint32_t msn : keep) saved_uids_.push_back(view_.at_msn(msn).uid);
  }
  // RFC 5182 2.1: SAVE alone answers no ESEARCH.
  if (req.ret_save && !(req.ret_min || req.ret_max || req.ret_count || req.ret_all || req.partial)) {
    // nothing untagged
  } else if (!req.esearch && !rev2_) {
    std::string line = "SEARCH";
    for (uint32_t n : hits) line += " " + std::to_string(n);
    if (modseq) line += " (MODSEQ " + std::to_string(modseq) + ")";
    untagged(line);
  } else {
    untagged(esearch_line(k, req, hits) + (modseq ? " MODSEQ " + std::to_string(modseq) : ""));
  }
  if (req.ret_update) {
    std::vector<uint32_t> uids;
    for (uint32_t msn : msns) uids.push_back(view_.at_msn(msn).uid);
    open_context(k, req.root, nullptr, std::move(uids));
  }
  ok(k, "Search completed.", k.uid);
}

std::vector<uint32_t> Session::search_msns(const SearchKey& root) {
  std::vector<uint32_t> hits;
  uint32_t max_msn = view_.size(), max_uid = view_.max_uid();
  for (uint32_t msn = 1; msn <= max_msn; ++msn) {
    const auto& e = view_.at_msn(msn);
    const store::MessageInfo* m = e.gone ? nullptr : box_->find(e.uid);
    if (!m) continue;
    SearchSubject s;
    s.msn = msn;
    s.max_msn = max_msn;
    s.uid = e.uid;
    s.max_uid = max_uid;
    s.flags = m->flags;
    s.keywords = &m->keywords;
    s.modseq = m->modseq;
    s.internal_date_s = m->internal_date_s;
    s.saved = &saved_uids_;
    s.size = [this, m] { return rfc822_size(*m); };
    s.bytes = [this, uid = e.uid] { return message_bytes(uid); };
    s.header = [this, uid = e.uid] { return message_header(uid); };
    if (search_matches(root, s)) hits.push_back(msn);
  }
  return hits;
}

}  // namespace tern::imap
