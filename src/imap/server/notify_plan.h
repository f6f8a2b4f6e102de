// NotifyPlan: which NOTIFY events (RFC 5465) a session reports for which
// mailbox, once the client's names are store folders. The selected mailbox
// is covered only by "selected" or "selected-delayed" (without either it
// gets IMAP's usual updates at the end of each command, and never a STATUS
// notification); any other mailbox by the first group whose filter matches
// it, in the order the client gave them (RFC 5465 6: "inboxes" is INBOX,
// the one folder mail is delivered to without a Sieve script; "personal"
// every folder of the account; "subtree" a folder and those below it).
// Pure: the subscriptions are passed in.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "imap/proto/notify.h"

namespace tern::imap {

class NotifyPlan {
 public:
  struct Group {
    NotifyGroup::Filter filter = NotifyGroup::Filter::personal;
    std::vector<std::string> folders;  // subtree / mailboxes: store folder names
    NotifyEvents events;
  };
  NotifyPlan() = default;
  explicit NotifyPlan(std::vector<Group> groups) : groups_(std::move(groups)) {}

  // The selected mailbox's group, or nullptr.
  const Group* selected() const;
  // The events for a mailbox that is not the selected one, or nullptr.
  const NotifyEvents* events_for(std::string_view folder, const std::set<std::string>& subscribed) const;
  // Whether some group would report message events (STATUS) for any
  // mailbox other than the selected one.
  bool watches_messages() const;

 private:
  std::vector<Group> groups_;
};

}  // namespace tern::imap
