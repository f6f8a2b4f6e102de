// NOTIFY's arguments (RFC 5465 section 3 and 8): "NONE", or "SET [STATUS]"
// and event groups, each a mailbox filter (selected, selected-delayed,
// inboxes, personal, subscribed, subtree names, mailboxes names) and its
// events, or NONE. Checked here: the syntax, the RFC's pairing rules
// (MessageNew and MessageExpunge together, FlagChange only with both),
// mailbox events not for the selected mailbox, fetch attributes only for
// the selected mailbox. An event tern does not report (AnnotationChange,
// the METADATA events, an unknown name) is refused as a whole with
// NO [BADEVENT] (RFC 5465 3.1), not ignored.
//
// SECURITY: from the network; the number of groups and of mailbox names is
// bounded (kMaxNotifyNames), and fetch attributes go to the FETCH parser.
#pragma once

#include <cstddef>
#include <string>
#include <variant>
#include <vector>

#include "imap/proto/value.h"

namespace tern::imap {

// Mailbox names over all groups of one NOTIFY command.
inline constexpr size_t kMaxNotifyNames = 1000;

struct NotifyEvents {
  bool message_new = false;
  bool message_expunge = false;
  bool flag_change = false;
  bool mailbox_name = false;
  bool subscription_change = false;
  // MessageNew's fetch attributes (selected filters only), as the argument
  // list FETCH's parser reads (empty: none given).
  std::vector<Value> fetch;
  bool any() const { return message_new || mailbox_name || subscription_change; }
};

struct NotifyGroup {
  enum class Filter { selected, selected_delayed, inboxes, personal, subscribed, subtree, mailboxes };
  Filter filter = Filter::selected;
  std::vector<std::string> names;  // subtree / mailboxes: as the client wrote them (not decoded)
  NotifyEvents events;             // all false: NONE
  bool for_selected() const { return filter == Filter::selected || filter == Filter::selected_delayed; }
};

struct NotifyRequest {
  bool none = false;    // NOTIFY NONE
  bool status = false;  // SET STATUS: STATUS for the watched mailboxes at once
  std::vector<NotifyGroup> groups;
};

struct NotifyError {
  bool bad_event = false;  // NO [BADEVENT ...] rather than BAD
  std::string text;
};

// The events tern reports, as BADEVENT lists them.
inline constexpr const char* kNotifyEvents = "(MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)";

std::variant<NotifyRequest, NotifyError> parse_notify(const std::vector<Value>& args);

}  // namespace tern::imap
