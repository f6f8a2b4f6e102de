// What a session with NOTIFY on (RFC 5465) keeps between commands: the
// plan, the pushes it registered with the process's ChangeHub, and what it
// last knew of each watched mailbox, the folder list and the
// subscriptions, so that a push or a poll tells only what changed.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "imap/proto/fetch.h"
#include "imap/server/notify_plan.h"
#include "store/change_hub.h"
#include "store/rename_log.h"

namespace tern::imap {

struct NotifyState {
  NotifyPlan plan;
  std::vector<FetchAtt> new_fetch;  // the selected group's MessageNew attributes
  // Pushes, per watched folder (the selected one included); the names and
  // the subscriptions file.
  std::map<std::string, std::unique_ptr<store::ChangeHub::Watch>> watches;
  std::unique_ptr<store::ChangeHub::Watch> names_watch, subscriptions_watch;
  // Last known, per watched folder other than the selected one: what is
  // compared ("MESSAGES n UIDNEXT n UIDVALIDITY n", UNSEEN too with
  // FlagChange).
  std::map<std::string, std::string> known;
  std::vector<std::string> folders;  // the folder list as last known
  std::set<std::string> subscribed;  // the subscriptions as last known
  uint64_t rename_cursor = store::RenameLog::kFromNow;  // MailStore::renames_since
  // Pushed since the last report; `all`: the poll timer, look at everything.
  std::set<std::string> dirty;
  bool names_dirty = false, subscriptions_dirty = false, all = false;
  std::string selected;  // the folder selected at the last look ("": none)
  bool pending() const { return all || names_dirty || subscriptions_dirty || !dirty.empty(); }
};

}  // namespace tern::imap
