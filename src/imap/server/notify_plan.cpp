// Which NOTIFY events go with which mailbox (see notify_plan.h).
#include "imap/server/notify_plan.h"

#include "store/maildir_store.h"

namespace tern::imap {
namespace {

using Filter = NotifyGroup::Filter;

bool below_or_at(std::string_view folder, const std::string& top) {
  if (store::is_inbox(top)) return store::is_inbox(folder);
  return folder == top || (folder.size() > top.size() && folder.substr(0, top.size()) == top && folder[top.size()] == '.');
}

bool matches(const NotifyPlan::Group& g, std::string_view folder, const std::set<std::string>& subscribed) {
  switch (g.filter) {
    case Filter::selected: case Filter::selected_delayed: return false;
    case Filter::inboxes: return store::is_inbox(folder);
    case Filter::personal: return true;
    case Filter::subscribed: return subscribed.count(std::string(folder)) > 0;
    case Filter::subtree:
      for (const auto& top : g.folders)
        if (below_or_at(folder, top)) return true;
      return false;
    case Filter::mailboxes:
      for (const auto& f : g.folders)
        if (f == folder || (store::is_inbox(f) && store::is_inbox(folder))) return true;
      return false;
  }
  return false;
}

}  // namespace

const NotifyPlan::Group* NotifyPlan::selected() const {
  for (const auto& g : groups_)
    if (g.filter == Filter::selected || g.filter == Filter::selected_delayed) return &g;
  return nullptr;
}

const NotifyEvents* NotifyPlan::events_for(std::string_view folder, const std::set<std::string>& subscribed) const {
  for (const auto& g : groups_)
    if (matches(g, folder, subscribed)) return &g.events;
  return nullptr;
}

bool NotifyPlan::watches_messages() const {
  for (const auto& g : groups_)
    if (g.filter != Filter::selected && g.filter != Filter::selected_delayed && g.events.message_new) return true;
  return false;
}

}  // namespace tern::imap
