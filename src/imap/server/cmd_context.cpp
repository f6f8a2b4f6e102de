// RFC 5267 contexts (CONTEXT=SEARCH, CONTEXT=SORT): a SEARCH or SORT with
// RETURN (UPDATE) stays live until CANCELUPDATE "tag" or until the mailbox
// is left (deselect()); whenever the folder changed, sync() has each
// context evaluated again and tells the client the difference as
//   * ESEARCH (TAG "tag") [UID] REMOVEFROM (pos set) ADDTO (pos set)
// (context_update.h: position 0 for SEARCH, positions for SORT). sync()
// calls update_contexts() twice: before the view's EXPUNGEs, so that
// REMOVEFROM names sequence numbers that are still valid (4.3.4), and after
// its EXISTS, so that ADDTO can name the new ones (4.3.3). Changes are
// noticed by a fingerprint of the folder (UIDs, flags, keywords,
// mod-sequences), of the view (its UIDs: the sequence numbers) and of "$",
// so an unchanged folder costs no search. A tag that a live context has
// cannot ask for UPDATE again (BAD, 4.3); past kMaxSearchContexts the
// command still answers, with an untagged NO [NOUPDATE "tag"] (4.3.1).
#include "imap/proto/context_update.h"
#include "imap/server/session.h"

namespace tern::imap {
namespace {

// FNV-1a over what a search can see change.
struct Fingerprint {
  uint64_t h = 1469598103934665603ULL;
  void add(uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (i * 8)) & 0xff;
      h *= 1099511628211ULL;
    }
  }
  void add(std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    add(s.size());
  }
};

}  // namespace

bool Session::context_tag_taken(const Call& k, const SearchRequest& req) {
  if (!req.ret_update) return false;
  for (const auto& c : contexts_)
    if (c.tag == k.c.tag) {
      bad(k, "Tag reuse: an UPDATE context has this tag.");
      return true;
    }
  return false;
}

void Session::open_context(const Call& k, const SearchKey& root, const std::vector<SortCriterion>* criteria,
                           std::vector<uint32_t> uids) {
  if (contexts_.size() >= kMaxSearchContexts) {
    untagged("NO [NOUPDATE \"" + k.c.tag + "\"] Too many contexts; cancel one.");
    return;
  }
  SearchContext c;
  c.tag = k.c.tag;
  c.uid = k.uid;
  c.sorted = criteria != nullptr;
  c.root = root;
  if (criteria) c.criteria = *criteria;
  c.uids = std::move(uids);
  contexts_.push_back(std::move(c));
  contexts_seen_ = 0;  // the last fingerprint may be older than this result: evaluate at the next sync
}

void Session::update_contexts() {
  if (contexts_.empty() || !box_) return;
  Fingerprint f;
  for (const auto& m : box_->messages()) {
    f.add(m.uid);
    f.add(m.flags);
    f.add(m.modseq);
    for (const auto& kw : m.keywords) f.add(kw);
  }
  for (const auto& e : view_.entries()) f.add(uint64_t{e.uid} << 1 | (e.gone ? 1 : 0));  // the sequence numbers
  for (uint32_t uid : saved_uids_) f.add(uid);  // "$" in a search
  if (f.h == contexts_seen_) return;
  contexts_seen_ = f.h;
  for (auto& c : contexts_) {
    std::vector<uint32_t> now;
    if (c.sorted) {
      for (const SortRow& r : sorted_rows(c.root, c.criteria)) now.push_back(r.uid);
    } else {
      for (uint32_t msn : search_msns(c.root)) now.push_back(view_.at_msn(msn).uid);
    }
    auto changes = context_changes(c.uids, now, c.sorted);
    c.uids = std::move(now);
    if (changes.empty()) continue;
    if (!c.uid) {  // by sequence number: the view's, as it is now
      for (auto& ch : changes)
        for (auto& n : ch.numbers) n = view_.msn_of(n).value_or(0);
    }
    untagged("ESEARCH (TAG \"" + c.tag + "\")" + (c.uid ? " UID" : "") + context_change_items(changes));
  }
}

// CANCELUPDATE "tag" ... (RFC 5267 4.3.5): the named contexts end. A tag
// with no context is NO, and then none ends.
asio::awaitable<void> Session::cmd_cancelupdate(const Call& k) {
  const auto& a = k.c.args;
  if (a.empty()) {
    bad(k, "CANCELUPDATE needs the tags of searches.");
    co_return;
  }
  std::vector<size_t> which;
  for (const auto& v : a) {
    if (v.kind != Value::Kind::quoted) {
      bad(k, "CANCELUPDATE takes quoted tags.");
      co_return;
    }
    size_t i = 0;
    while (i < contexts_.size() && contexts_[i].tag != v.text) ++i;
    if (i == contexts_.size()) {
      no(k, "Unknown search tag.");
      co_return;
    }
    which.push_back(i);
  }
  std::vector<SearchContext> kept;
  for (size_t i = 0; i < contexts_.size(); ++i)
    if (std::find(which.begin(), which.end(), i) == which.end()) kept.push_back(std::move(contexts_[i]));
  contexts_ = std::move(kept);
  ok(k, "Updates cancelled.");
}

}  // namespace tern::imap
