// Selecting a mailbox and leaving it: SELECT and EXAMINE (RFC 9051 6.3.2,
// 6.3.3), CLOSE (expunges silently), UNSELECT (RFC 3691: does not),
// EXPUNGE and UID EXPUNGE (RFC 4315); after ENABLE IMAP4rev2, SELECT
// answers as RFC 9051 6.3.2 shows (LIST of the mailbox, no RECENT, no
// UNSEEN, OK [CLOSED] as with QRESYNC); and what every command of the
// selected state shares: the refresh that keeps the view in step with the
// store, and sequence sets resolved to UIDs.
#include <algorithm>

#include "base/log.h"
#include "imap/proto/select_params.h"
#include "imap/proto/sequence_set.h"
#include "imap/server/flags.h"
#include "imap/server/session.h"

namespace tern::imap {

void Session::sync(bool allow_expunge, uint64_t told) {
  if (!box_) return;
  if (auto r = told ? box_->refresh_after(told) : box_->refresh(); !r)
    log::warn("imap: {}: user={}: refresh of {}: {}", client_name_, user_, box_->name(), r.error().detail);
  announce_keywords();
  update_contexts();  // RFC 5267 4.3.4: REMOVEFROM before the EXPUNGE
  view_.sync(*box_, allow_expunge, out_, view_mode());
  update_contexts();  // 4.3.3: ADDTO after the EXISTS
}

void Session::enable_condstore(bool announce) {
  if (condstore_) return;
  condstore_ = true;
  if (!box_ || !box_->enable_modseqs()) return;
  sync(false);
  if (announce) untagged("OK [HIGHESTMODSEQ " + std::to_string(box_->modseq()) + "] Highest.");
}

void Session::announce_keywords() {
  if (!box_) return;
  auto now = box_->keywords();
  bool new_one = false;
  for (const auto& kw : now)
    if (std::find(told_keywords_.begin(), told_keywords_.end(), kw) == told_keywords_.end()) new_one = true;
  if (!new_one) return;
  out_ += flags_response(now);
  out_ += permanent_flags_response(now, read_only_);
  told_keywords_ = std::move(now);
}

void Session::deselect() {
  box_.reset();
  view_ = SelectedView{};
  told_keywords_.clear();
  saved_uids_.clear();  // RFC 5182 2.1: "$" is empty in a newly selected mailbox
  contexts_.clear();    // RFC 5267 4.3: updates cease when the mailbox is no longer selected
  forget_message_bytes();
  if (state_ == State::selected) state_ = State::authenticated;
}

std::optional<std::vector<uint32_t>> Session::resolve_set(const Call& k, size_t arg) {
  const auto& a = k.c.args;
  std::optional<SequenceSet> set;
  if (arg < a.size() && (a[arg].kind == Value::Kind::atom || a[arg].kind == Value::Kind::number))
    set = parse_sequence_set(a[arg].text);
  if (!set) {
    bad(k, "Invalid sequence set.");
    return std::nullopt;
  }
  std::vector<uint32_t> uids;
  if (set->saved) {  // "$" (RFC 5182): the saved messages still here, by UID or not
    for (uint32_t uid : saved_uids_)
      if (auto msn = view_.msn_of(uid); msn && !view_.at_msn(*msn).gone) uids.push_back(uid);
    return uids;
  }
  if (k.uid) {
    // "*" is the largest UID in use (RFC 9051 6.4.9: "n:*" names it even when n is above).
    auto ranges = set->resolve(view_.max_uid());
    size_t r = 0;
    for (const auto& e : view_.entries()) {
      while (r < ranges.size() && ranges[r].second < e.uid) ++r;
      if (r == ranges.size()) break;
      if (e.uid >= ranges[r].first && !e.gone) uids.push_back(e.uid);
    }
    return uids;
  }
  // A number beyond EXISTS is the client's error (RFC 9051 6.4.5); "n:*" is not.
  for (const auto& r : set->ranges)
    if (r.first != SeqRange::star && r.last != SeqRange::star && std::max(r.first, r.last) > view_.size()) {
      bad(k, "Invalid message sequence number.");
      return std::nullopt;
    }
  for (auto [lo, hi] : set->resolve(view_.size()))
    for (uint32_t msn = lo; msn <= hi && msn <= view_.size(); ++msn) uids.push_back(view_.at_msn(msn).uid);
  return uids;
}

asio::awaitable<void> Session::cmd_select(const Call& k) { co_await select(k, false); }
asio::awaitable<void> Session::cmd_examine(const Call& k) { co_await select(k, true); }

asio::awaitable<void> Session::select(const Call& k, bool read_only) {
  if (k.c.args.empty()) {
    bad(k, "SELECT takes a mailbox name.");
    co_return;
  }
  auto parsed = parse_select_params(k.c.args, 1);
  if (auto* e = std::get_if<std::string>(&parsed)) {
    bad(k, *e);
    co_return;
  }
  const auto& params = std::get<SelectParams>(parsed);
  if (params.qresync && !qresync_) {
    bad(k, "QRESYNC must be enabled first (ENABLE QRESYNC).");
    co_return;
  }
  // RFC 7162 3.2.11, RFC 9051 7.1: the client learns where the old mailbox's responses end.
  if (box_ && (qresync_ || rev2_)) untagged("OK [CLOSED] Previous mailbox closed.");
  deselect();  // a failed SELECT leaves no mailbox selected (RFC 9051 6.3.2)
  auto folder = folder_arg(k, 0);
  if (!folder) co_return;
  auto opened = store_->open(*folder);
  if (!opened) {
    if (opened.error().is_temporary()) store_error(k, opened.error(), "SELECT");
    else no(k, "[NONEXISTENT] Mailbox does not exist.");
    co_return;
  }
  box_ = std::move(*opened);
  if (params.condstore) condstore_ = true;  // RFC 7162 3.1.8: a CONDSTORE enabling command
  bool modseqs = false;
  if (condstore_ && box_->enable_modseqs()) {
    if (auto r = box_->refresh(); !r) {
      store_error(k, r.error(), "SELECT");
      box_.reset();
      co_return;
    }
    modseqs = true;
  }
  read_only_ = read_only;
  view_.reset(*box_);
  state_ = State::selected;
  auto keywords = box_->keywords();
  told_keywords_ = keywords;
  out_ += flags_response(keywords);
  untagged(std::to_string(view_.size()) + " EXISTS");
  if (rev2_) untagged("LIST (" + select_list_attributes(*folder) + ") \".\" " + mailbox_out(*folder));
  else untagged("0 RECENT");
  for (uint32_t msn = 1; msn <= view_.size() && !rev2_; ++msn)
    if (!(view_.at_msn(msn).flags & store::kFlagSeen)) {
      untagged("OK [UNSEEN " + std::to_string(msn) + "] First unseen.");
      break;
    }
  out_ += permanent_flags_response(keywords, read_only);
  untagged("OK [UIDVALIDITY " + std::to_string(box_->uidvalidity()) + "] UIDs valid.");
  untagged("OK [UIDNEXT " + std::to_string(box_->uidnext()) + "] Predicted next UID.");
  if (modseqs) untagged("OK [HIGHESTMODSEQ " + std::to_string(box_->modseq()) + "] Highest.");
  else if (condstore_) untagged("OK [NOMODSEQ] No permanent mod-sequences.");
  if (params.qresync && modseqs && params.qresync->uidvalidity == box_->uidvalidity())
    resync(params.qresync->modseq, params.qresync->known_uids);
  out_ += k.c.tag + (read_only ? " OK [READ-ONLY] Examine completed.\r\n" : " OK [READ-WRITE] Select completed.\r\n");
}

std::string Session::vanished_since(uint64_t since, const SequenceSet* known) {
  const uint32_t top = box_->uidnext() > 0 ? box_->uidnext() - 1 : 0;
  if (auto gone = box_->expunged_since(since)) {
    std::vector<uint32_t> vanished;
    for (uint32_t uid : *gone)
      if ((!known || known->contains(uid, top)) && !box_->find(uid)) vanished.push_back(uid);
    return format_sequence_set(vanished);
  }
  // Expunges that old are forgotten: every UID not here is named, as
  // ranges (RFC 7162 3.2.5.1 lets the server name more than vanished).
  std::string ranges;
  auto put = [&](uint32_t lo, uint32_t hi) {
    ranges += (ranges.empty() ? "" : ",") + std::to_string(lo) + (lo == hi ? "" : ":" + std::to_string(hi));
  };
  auto add = [&](uint32_t lo, uint32_t hi) {
    if (!known) return put(lo, hi);
    for (auto [a, b] : known->resolve(top))
      if (std::max(a, lo) <= std::min(b, hi)) put(std::max(a, lo), std::min(b, hi));
  };
  uint32_t from = 1;
  for (const auto& m : box_->messages()) {
    if (m.uid > from) add(from, m.uid - 1);
    from = m.uid + 1;
  }
  if (from <= top) add(from, top);
  return ranges;
}

void Session::resync(uint64_t since, const std::optional<SequenceSet>& known) {
  const uint32_t top = box_->uidnext() > 0 ? box_->uidnext() - 1 : 0;
  auto wanted = [&](uint32_t uid) { return !known || known->contains(uid, top); };
  if (std::string gone = vanished_since(since, known ? &*known : nullptr); !gone.empty())
    untagged("VANISHED (EARLIER) " + gone);
  for (const auto& e : view_.entries()) {
    if (!wanted(e.uid)) continue;
    // Changed since, and known to the client then: a message first seen
    // later is new to it, announced by EXISTS (as in RFC 7162's example,
    // where the known UIDs leave the new ones out).
    const store::MessageInfo* m = box_->find(e.uid);
    if (!m || m->modseq <= since || m->first_modseq > since) continue;
    untagged(std::to_string(*view_.msn_of(e.uid)) + " FETCH (UID " + std::to_string(e.uid) + " FLAGS " +
             flag_list(m->flags, m->keywords) + " MODSEQ (" + std::to_string(m->modseq) + "))");
  }
}

Status Session::expunge_deleted(const std::optional<SequenceSet>& uids) {
  std::vector<uint32_t> doomed;
  for (const auto& e : view_.entries()) {
    if (e.gone) continue;
    const store::MessageInfo* m = box_->find(e.uid);
    if (!m || !(m->flags & store::kFlagDeleted)) continue;
    if (uids && !uids->contains(e.uid, view_.max_uid())) continue;
    doomed.push_back(e.uid);
  }
  return doomed.empty() ? ok_status() : box_->expunge_all(doomed);
}

asio::awaitable<void> Session::cmd_expunge(const Call& k) {
  std::optional<SequenceSet> uids;
  if (k.uid) {
    if (k.c.args.size() != 2 || !(uids = parse_sequence_set(k.c.args[1].text))) {
      bad(k, "UID EXPUNGE takes a UID set.");
      co_return;
    }
    if (uids->saved) {  // "$": the saved UIDs
      SequenceSet saved;
      for (uint32_t uid : saved_uids_) saved.ranges.push_back({uid, uid});
      uids = std::move(saved);
    }
  } else if (!k.c.args.empty()) {
    bad(k, "EXPUNGE takes no arguments.");
    co_return;
  }
  if (read_only_) {
    no(k, "[READ-ONLY] Mailbox is read-only.");
    co_return;
  }
  if (auto s = expunge_deleted(uids); !s) {
    sync(true);
    store_error(k, s.error(), "EXPUNGE");
    co_return;
  }
  // RFC 7162 3.2.10: with VANISHED, the OK says the mod-sequence reached.
  if (qresync_) {
    sync(true);
    out_ += k.c.tag + " OK [HIGHESTMODSEQ " + std::to_string(box_->modseq()) + "] Expunge completed.\r\n";
  } else {
    ok(k, "Expunge completed.");
  }
}

asio::awaitable<void> Session::cmd_close(const Call& k) {
  if (!k.c.args.empty()) {
    bad(k, "CLOSE takes no arguments.");
    co_return;
  }
  if (!read_only_) {
    if (auto s = expunge_deleted(std::nullopt); !s)
      log::warn("imap: {}: user={}: CLOSE of {}: {}", client_name_, user_, box_->name(), s.error().detail);
  }
  deselect();
  out_ += k.c.tag + " OK Close completed.\r\n";
}

asio::awaitable<void> Session::cmd_unselect(const Call& k) {
  if (!k.c.args.empty()) {
    bad(k, "UNSELECT takes no arguments.");
    co_return;
  }
  deselect();
  out_ += k.c.tag + " OK Unselect completed.\r\n";
  co_return;
}

}  // namespace tern::imap
