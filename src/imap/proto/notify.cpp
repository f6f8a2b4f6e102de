// NOTIFY's arguments (see notify.h).
#include "imap/proto/notify.h"

namespace tern::imap {
namespace {

using Filter = NotifyGroup::Filter;

NotifyError bad(std::string text) { return NotifyError{false, std::move(text)}; }

bool filter_of(const std::string& word, Filter& f) {
  if (word == "SELECTED") f = Filter::selected;
  else if (word == "SELECTED-DELAYED") f = Filter::selected_delayed;
  else if (word == "INBOXES") f = Filter::inboxes;
  else if (word == "PERSONAL") f = Filter::personal;
  else if (word == "SUBSCRIBED") f = Filter::subscribed;
  else if (word == "SUBTREE") f = Filter::subtree;
  else if (word == "MAILBOXES") f = Filter::mailboxes;
  else return false;
  return true;
}

// one-or-more-mailbox = mailbox / "(" mailbox *(SP mailbox) ")"
bool names_of(const Value& v, std::vector<std::string>& out, size_t& total) {
  auto one = [&](const Value& x) {
    auto name = x.astring();
    if (!name || ++total > kMaxNotifyNames) return false;
    out.emplace_back(*name);
    return true;
  };
  if (v.kind != Value::Kind::list) return one(v);
  if (v.items.empty()) return false;
  for (const auto& x : v.items)
    if (!one(x)) return false;
  return true;
}

std::variant<NotifyEvents, NotifyError> events_of(const Value& v, bool selected) {
  NotifyEvents e;
  if (v.keyword() == "NONE") return e;
  if (v.kind != Value::Kind::list || v.items.empty()) return bad("Events are NONE or a list of events.");
  const auto& items = v.items;
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string name = items[i].keyword();
    bool* seen = nullptr;
    if (name == "MESSAGENEW") seen = &e.message_new;
    else if (name == "MESSAGEEXPUNGE") seen = &e.message_expunge;
    else if (name == "FLAGCHANGE") seen = &e.flag_change;
    else if (name == "MAILBOXNAME") seen = &e.mailbox_name;
    else if (name == "SUBSCRIPTIONCHANGE") seen = &e.subscription_change;
    else if (name.empty()) return bad("An event is an atom.");
    else return NotifyError{true, "This event is not reported."};
    if (*seen) return bad("An event is named twice.");
    *seen = true;
    if (name == "MESSAGENEW" && i + 1 < items.size() && items[i + 1].kind == Value::Kind::list) {
      // RFC 5465 5.1: fetch attributes only where the mailbox is selected.
      if (!selected) return bad("MessageNew takes fetch attributes only for the selected mailbox.");
      if (items[i + 1].items.empty()) return bad("Empty fetch attribute list.");
      e.fetch.push_back(items[++i]);
    }
  }
  if (e.message_new != e.message_expunge) return bad("MessageNew and MessageExpunge go together.");
  if (e.flag_change && !e.message_new) return bad("FlagChange needs MessageNew and MessageExpunge.");
  if (selected && (e.mailbox_name || e.subscription_change))
    return bad("Mailbox events are not for the selected mailbox.");
  return e;
}

}  // namespace

std::variant<NotifyRequest, NotifyError> parse_notify(const std::vector<Value>& args) {
  NotifyRequest r;
  if (args.empty()) return bad("NOTIFY takes NONE or SET.");
  const std::string verb = args[0].keyword();
  if (verb == "NONE") {
    if (args.size() != 1) return bad("NOTIFY NONE takes no arguments.");
    r.none = true;
    return r;
  }
  if (verb != "SET") return bad("NOTIFY takes NONE or SET.");
  size_t i = 1;
  if (i < args.size() && args[i].keyword() == "STATUS") {
    r.status = true;
    ++i;
  }
  if (i >= args.size()) return bad("NOTIFY SET takes at least one event group.");
  size_t names = 0;
  for (; i < args.size(); ++i) {
    const Value& g = args[i];
    if (g.kind != Value::Kind::list || g.items.size() < 2) return bad("An event group is (filter events).");
    NotifyGroup group;
    if (!filter_of(g.items[0].keyword(), group.filter)) return bad("Unknown mailbox filter.");
    size_t at = 1;
    if (group.filter == Filter::subtree || group.filter == Filter::mailboxes) {
      if (!names_of(g.items[at++], group.names, names)) return bad("Invalid or too many mailbox names.");
    }
    if (g.items.size() != at + 1) return bad("An event group is (filter events).");
    auto ev = events_of(g.items[at], group.for_selected());
    if (auto* e = std::get_if<NotifyError>(&ev)) return *e;
    group.events = std::get<NotifyEvents>(std::move(ev));
    r.groups.push_back(std::move(group));
  }
  return r;
}

}  // namespace tern::imap
