// COPY, MOVE (RFC 6851) and their UID forms: each message goes to the
// destination with Mailbox::copy_to (a hard link in Maildir), answered with
// UIDPLUS's COPYUID (RFC 4315). MOVE then expunges the sources, announced
// by the sync before the tagged OK, after an untagged OK [COPYUID].
//
// A copy that fails midway takes back the messages copied so far (they are
// expunged from the destination again; their UIDs are never reused) and
// answers NO, so that a client that retries makes no duplicates. A source
// message expunged meanwhile gets NO [EXPUNGEISSUED], as Dovecot answers.
#include "imap/proto/sequence_set.h"
#include "imap/server/session.h"

namespace tern::imap {

asio::awaitable<void> Session::cmd_copy(const Call& k) { co_await copy_or_move(k, false); }
asio::awaitable<void> Session::cmd_move(const Call& k) { co_await copy_or_move(k, true); }

asio::awaitable<void> Session::copy_or_move(const Call& k, bool move) {
  if (k.c.args.size() != k.first + 2) {
    bad(k, move ? "MOVE takes a sequence set and a mailbox." : "COPY takes a sequence set and a mailbox.");
    co_return;
  }
  auto uids = resolve_set(k, k.first);
  if (!uids) co_return;
  auto folder = folder_arg(k, k.first + 1);
  if (!folder) co_return;
  if (move && read_only_) {
    no(k, "[READ-ONLY] Mailbox is read-only.");
    co_return;
  }
  auto dest = store_->open(*folder);
  if (!dest) {
    if (dest.error().is_temporary()) store_error(k, dest.error(), move ? "MOVE" : "COPY");
    else no(k, "[TRYCREATE] Mailbox does not exist.");
    co_return;
  }
  // COPY adds to the account (MOVE, within it, does not): over the quota,
  // nothing is copied (RFC 9208 OVERQUOTA).
  if (!move && quota_.limited()) {
    uint64_t bytes = 0, messages = 0;
    for (uint32_t uid : *uids)
      if (const auto* m = box_->find(uid)) {
        bytes += m->size_bytes;
        ++messages;
      }
    if (messages > 0 && over_quota(bytes, messages)) {
      no(k, "[OVERQUOTA] Quota exceeded (mailbox for user is full).");
      co_return;
    }
  }
  std::vector<uint32_t> from, to;
  for (uint32_t uid : *uids) {
    if (!box_->find(uid)) continue;
    auto r = box_->copy_to(uid, **dest);
    if (!r) {
      // A failed COPY leaves the destination as it was (RFC 9051 6.4.7):
      // the copies made so far are taken back. A message expunged
      // meanwhile is the client's to learn of (RFC 5530 EXPUNGEISSUED).
      take_back(**dest, to, move ? "MOVE" : "COPY");
      if (store::is_gone(r.error())) no(k, "[EXPUNGEISSUED] Some of the requested messages no longer exist.");
      else store_error(k, r.error(), move ? "MOVE" : "COPY");
      co_return;
    }
    from.push_back(uid);
    to.push_back(*r);
  }
  // COPYUID lists the UIDs in matching order (RFC 4315 4); both ascend here.
  std::string copyuid = from.empty() ? "" : "[COPYUID " + std::to_string((*dest)->uidvalidity()) + " " +
                                                format_sequence_set(from) + " " + format_sequence_set(to) + "] ";
  if (!move) {
    ok(k, copyuid + "Copy completed.", k.uid);
    co_return;
  }
  if (!copyuid.empty()) untagged("OK " + copyuid + "Moved.");
  if (auto s = box_->expunge_all(from); !s) {
    sync(true);
    store_error(k, s.error(), "MOVE");
    co_return;
  }
  ok(k, "Move completed.");
}

}  // namespace tern::imap
