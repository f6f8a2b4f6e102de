// STORE and UID STORE (RFC 9051 6.4.6): FLAGS, +FLAGS, -FLAGS and their
// .SILENT forms over system flags and keywords (flags.h). Each changed
// message is answered with its flags unless .SILENT; either way the view
// learns them, so the next sync does not repeat them. A message another
// session expunged meanwhile is skipped.
//
// CONDSTORE (RFC 7162 3.1.3): UNCHANGEDSINCE turns it on; a message changed
// after that mod-sequence is left alone and named in the tagged
// OK [MODIFIED set]. With CONDSTORE on, each changed message is answered
// with its MODSEQ, with .SILENT too (then MODSEQ alone).
#include <algorithm>

#include "imap/proto/chars.h"
#include "imap/proto/sequence_set.h"
#include "imap/proto/store.h"
#include "imap/server/flags.h"
#include "imap/server/session.h"

namespace tern::imap {

asio::awaitable<void> Session::cmd_store(const Call& k) {
  if (k.c.args.size() < k.first + 3) {
    bad(k, "STORE takes a sequence set, an item and flags.");
    co_return;
  }
  auto uids = resolve_set(k, k.first);
  if (!uids) co_return;
  auto parsed = parse_store(k.c.args, k.first + 1);
  if (auto* e = std::get_if<std::string>(&parsed)) {
    bad(k, *e);
    co_return;
  }
  const auto& req = std::get<StoreRequest>(parsed);
  if (req.unchangedsince) {
    enable_condstore();
    if (!box_->modseqs_enabled()) {  // RFC 7162 3.1.2: a NOMODSEQ mailbox
      bad(k, "This mailbox has no mod-sequences (NOMODSEQ).");
      co_return;
    }
  }
  if (read_only_) {
    no(k, "[READ-ONLY] Mailbox is read-only.");
    co_return;
  }
  SplitFlags want = split_flags(req.flags);
  using Mode = StoreRequest::Mode;
  std::vector<uint32_t> modified;  // UIDs (UID STORE) or sequence numbers left alone
  for (uint32_t uid : *uids) {
    const store::MessageInfo* m = box_->find(uid);
    if (!m) continue;
    store::MessageFlags add = 0, remove = 0;
    std::vector<std::string> kw_add, kw_remove;
    switch (req.mode) {
      case Mode::add: add = want.system; kw_add = want.keywords; break;
      case Mode::remove: remove = want.system; kw_remove = want.keywords; break;
      case Mode::replace:
        add = want.system;
        remove = static_cast<store::MessageFlags>(0x3f & ~want.system);
        kw_add = want.keywords;
        for (const auto& have : m->keywords) {
          bool kept = false;
          for (const auto& w : want.keywords) kept = kept || iequals(w, have);
          if (!kept) kw_remove.push_back(have);
        }
        break;
    }
    // A message expunged meanwhile is skipped and the STORE still succeeds
    // (RFC 2180 4.2.1; Dovecot answers so too): its EXPUNGE follows.
    const uint64_t before = m->modseq;
    const store::MessageFlags flags_before = m->flags;
    const std::vector<std::string> keywords_before = m->keywords;
    auto r = box_->store_flags(uid, add, remove, kw_add, kw_remove, req.unchangedsince.value_or(store::kAnyModseq));
    if (!r) {
      if (store::is_gone(r.error())) continue;
      if (store::is_modified(r.error())) {
        modified.push_back(k.uid ? uid : *view_.msn_of(uid));
        continue;
      }
      if (r.error().is_permanent() && r.error().dsn == "5.5.4") no(k, "[LIMIT] Too many keywords in this mailbox.");
      else store_error(k, r.error(), "STORE");
      co_return;
    }
    m = *r;
    announce_keywords();  // a keyword this STORE created
    view_.set_flags(uid, m->flags, m->keywords, m->modseq);
    const bool changed = m->modseq != before || m->flags != flags_before || m->keywords != keywords_before;
    std::string items = k.uid || qresync_ ? "UID " + std::to_string(uid) : "";  // RFC 7162 3.2.4
    auto add_item = [&](const std::string& item) { items += (items.empty() ? "" : " ") + item; };
    if (!req.silent) add_item("FLAGS " + flag_list(m->flags, m->keywords));
    if (condstore_ && (changed || !req.silent)) add_item("MODSEQ (" + std::to_string(m->modseq) + ")");
    if (!req.silent || (condstore_ && changed))
      untagged(std::to_string(*view_.msn_of(uid)) + " FETCH (" + items + ")");
  }
  if (!modified.empty()) {
    std::sort(modified.begin(), modified.end());
    ok(k, "[MODIFIED " + format_sequence_set(modified) + "] Conditional STORE failed.", k.uid);
    co_return;
  }
  ok(k, "Store completed.", k.uid);
}

}  // namespace tern::imap
