// STORE and UID STORE (RFC 9051 6.4.6): FLAGS, +FLAGS, -FLAGS and their
// .SILENT forms over system flags and keywords (flags.h). Each changed
// message is answered with its flags unless .SILENT; either way the view
// learns them, so the next sync does not repeat them. A message another
// session expunged meanwhile is skipped. UNCHANGEDSINCE needs
// CONDSTORE, which is not offered: BAD.
#include "imap/proto/chars.h"
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
    bad(k, "UNCHANGEDSINCE needs CONDSTORE, which is not offered.");
    co_return;
  }
  if (read_only_) {
    no(k, "[READ-ONLY] Mailbox is read-only.");
    co_return;
  }
  SplitFlags want = split_flags(req.flags);
  using Mode = StoreRequest::Mode;
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
    if (auto r = box_->set_flags(uid, add, remove); !r) {
      if (store::is_gone(r.error())) continue;
      store_error(k, r.error(), "STORE");
      co_return;
    }
    if (!kw_add.empty() || !kw_remove.empty()) {
      if (auto r = box_->set_keywords(uid, kw_add, kw_remove); !r) {
        if (store::is_gone(r.error())) continue;
        if (r.error().is_permanent()) no(k, "[LIMIT] Too many keywords in this mailbox.");
        else store_error(k, r.error(), "STORE");
        co_return;
      }
    }
    m = box_->find(uid);
    if (!m) continue;
    announce_keywords();  // a keyword this STORE created
    view_.set_flags(uid, m->flags, m->keywords);
    if (!req.silent) {
      std::string uid_item = k.uid ? "UID " + std::to_string(uid) + " " : "";
      untagged(std::to_string(*view_.msn_of(uid)) + " FETCH (" + uid_item + "FLAGS " +
               flag_list(m->flags, m->keywords) + ")");
    }
  }
  ok(k, "Store completed.", k.uid);
}

}  // namespace tern::imap
