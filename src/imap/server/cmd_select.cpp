// Selecting a mailbox and leaving it: SELECT and EXAMINE (RFC 9051 6.3.2,
// 6.3.3), CLOSE (expunges silently), UNSELECT (RFC 3691: does not),
// EXPUNGE and UID EXPUNGE (RFC 4315); and what every command of the
// selected state shares: the refresh that keeps the view in step with the
// store, and sequence sets resolved to UIDs.
#include <algorithm>

#include "base/log.h"
#include "imap/server/flags.h"
#include "imap/server/session.h"

namespace tern::imap {

void Session::sync(bool allow_expunge) {
  if (!box_) return;
  if (auto r = box_->refresh(); !r)
    log::warn("imap: {}: user={}: refresh of {}: {}", client_name_, user_, box_->name(), r.error().detail);
  announce_keywords();
  view_.sync(*box_, allow_expunge, out_);
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
  forget_message_bytes();
  if (state_ == State::selected) state_ = State::authenticated;
}

std::optional<std::vector<uint32_t>> Session::resolve_set(const Call& k, size_t arg) {
  const auto& a = k.c.args;
  std::optional<SequenceSet> set;
  if (arg < a.size() && (a[arg].kind == Value::Kind::atom || a[arg].kind == Value::Kind::number))
    set = parse_sequence_set(a[arg].text);
  if (!set || set->saved) {
    bad(k, "Invalid sequence set.");
    return std::nullopt;
  }
  std::vector<uint32_t> uids;
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
  if (k.c.args.size() != 1) {
    bad(k, "SELECT takes a mailbox name.");
    co_return;
  }
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
  read_only_ = read_only;
  view_.reset(*box_);
  state_ = State::selected;
  auto keywords = box_->keywords();
  told_keywords_ = keywords;
  out_ += flags_response(keywords);
  untagged(std::to_string(view_.size()) + " EXISTS");
  untagged("0 RECENT");
  for (uint32_t msn = 1; msn <= view_.size(); ++msn)
    if (!(view_.at_msn(msn).flags & store::kFlagSeen)) {
      untagged("OK [UNSEEN " + std::to_string(msn) + "] First unseen.");
      break;
    }
  out_ += permanent_flags_response(keywords, read_only);
  untagged("OK [UIDVALIDITY " + std::to_string(box_->uidvalidity()) + "] UIDs valid.");
  untagged("OK [UIDNEXT " + std::to_string(box_->uidnext()) + "] Predicted next UID.");
  out_ += k.c.tag + (read_only ? " OK [READ-ONLY] Examine completed.\r\n" : " OK [READ-WRITE] Select completed.\r\n");
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
    if (k.c.args.size() != 2 || !(uids = parse_sequence_set(k.c.args[1].text)) || uids->saved) {
      bad(k, "UID EXPUNGE takes a UID set.");
      co_return;
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
  ok(k, "Expunge completed.");
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
