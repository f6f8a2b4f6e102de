// The mailbox commands of the authenticated state: LIST (RFC 3501 6.3.8,
// RFC 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS, RFC 6154 selection
// SPECIAL-USE, RFC 3348 \HasChildren / \HasNoChildren) and LSUB, CREATE,
// DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, STATUS (RFC 9051 6.3.11, RFC 8438
// SIZE, RFC 7889 APPENDLIMIT). Names go through names.h (folder_of) before
// the store sees them; after ENABLE UTF8=ACCEPT they are UTF-8 both ways
// (RFC 6855 3), stored in modified UTF-7 all the same. After ENABLE
// IMAP4rev2 (RFC 9051) names are UTF-8 the same way, a parent that is no
// folder is listed \NonExistent (7.3.1; Dovecot's LIST-EXTENDED answer)
// rather than \Noselect, and RECENT is no STATUS item (BAD).
#include <algorithm>
#include <map>

#include "base/log.h"
#include "imap/proto/list.h"
#include "imap/proto/mutf7.h"
#include "imap/proto/response.h"
#include "imap/server/mailbox_status.h"
#include "imap/server/message_size.h"
#include "imap/server/names.h"
#include "imap/server/session.h"
#include "imap/server/special_use.h"

namespace tern::imap {
namespace {

// A list-mailbox (RFC 3501: atom with '%' and '*', or a string).
std::optional<std::string> list_arg(const Value& v) {
  if (v.kind == Value::Kind::list || v.streamed) return std::nullopt;
  return v.text;
}

}  // namespace

std::optional<std::string> Session::folder_arg(const Call& k, size_t i) {
  if (i >= k.c.args.size()) {
    bad(k, "Missing mailbox name.");
    return std::nullopt;
  }
  auto name = k.c.args[i].astring();
  if (!name) {
    bad(k, "Invalid mailbox name.");
    return std::nullopt;
  }
  if (utf8_ && !valid_utf8(*name)) {
    bad(k, "Mailbox name is not valid UTF-8.");
    return std::nullopt;
  }
  auto folder = client_folder(*name);
  if (!folder) no(k, "[CANNOT] Invalid mailbox name.");
  return folder;
}

std::optional<std::string> Session::client_folder(std::string_view name) const {
  return utf8_ ? folder_of_utf8(name) : folder_of(name);
}

std::string Session::mailbox_out(std::string_view folder) const {
  std::string shown = client_name(folder, utf8_);
  return format_astring(shown, utf8_ && valid_utf8(shown));
}

bool Session::has_inferiors(const std::string& folder) {
  auto folders = store_->list();
  if (!folders) return false;
  const std::string prefix = folder + kDelimiter;
  return std::any_of(folders->begin(), folders->end(), [&](const std::string& f) { return f.starts_with(prefix); });
}

std::string Session::select_list_attributes(const std::string& folder) {
  std::string attrs = has_inferiors(folder) ? "\\HasChildren" : "\\HasNoChildren";
  if (auto use = special_use(folder); !use.empty()) attrs += " " + std::string(use);
  return attrs;
}

void Session::store_error(const Call& k, const Error& e, std::string_view what) {
  log::warn("imap: {}: user={}: {}: {}", client_name_, user_, what, e.detail);
  if (e.is_temporary()) no(k, "[UNAVAILABLE] " + std::string(what) + " failed; try again later.");
  else no(k, "[CANNOT] " + std::string(what) + " failed.");
}

asio::awaitable<void> Session::cmd_list(const Call& k) {
  auto parsed = parse_list(k.c.args);
  if (auto* e = std::get_if<std::string>(&parsed)) {
    bad(k, *e);
    co_return;
  }
  const ListRequest& req = std::get<ListRequest>(parsed);
  if (rev2_ && std::find(req.status_items.begin(), req.status_items.end(), "RECENT") != req.status_items.end()) {
    bad(k, "RECENT is not an IMAP4rev2 STATUS item.");
    co_return;
  }
  if (req.patterns.size() == 1 && req.patterns[0].empty() && !req.extended) {
    untagged("LIST (\\Noselect) \".\" \"\"");  // the hierarchy delimiter (RFC 3501 6.3.8)
    ok(k, "List completed.");
    co_return;
  }
  auto folders = store_->list();
  if (!folders) {
    store_error(k, folders.error(), "LIST");
    co_return;
  }
  // Every folder, and its missing parents (\Noselect), with whether it has
  // children; with SUBSCRIBED selection, subscribed names that no longer exist.
  enum class Is { folder, parent, gone };
  std::map<std::string, Is> names;
  auto add_parents = [&](const std::string& f) {
    for (size_t dot = f.find(kDelimiter); dot != std::string::npos; dot = f.find(kDelimiter, dot + 1))
      names.emplace(f.substr(0, dot), Is::parent);
  };
  for (const auto& f : *folders) {
    names[f] = Is::folder;
    add_parents(f);
  }
  const auto& subscribed = subscriptions_->names();
  if (req.select_subscribed)
    for (const auto& f : subscribed) names.emplace(f, Is::gone);
  // A folder's descendants sort together from "name." on (not right after
  // "name": "Work-Old" comes between "Work" and "Work.Projects").
  auto has_child_that = [&](const std::string& name, auto pred) {
    std::string prefix = name + kDelimiter;
    for (auto it = names.lower_bound(prefix); it != names.end() && it->first.starts_with(prefix); ++it)
      if (it->second != Is::gone && pred(it->first)) return true;
    return false;
  };
  auto is_subscribed = [&](const std::string& n) { return subscribed.count(n) != 0; };
  auto is_special = [&](const std::string& n) { return !special_use(n).empty(); };
  std::vector<std::string> patterns;
  for (const auto& p : req.patterns) patterns.push_back(join_reference(req.reference, p));
  // INBOX first, as every server lists it; then the rest in name order.
  std::vector<std::map<std::string, Is>::const_iterator> order;
  if (auto inbox = names.find("INBOX"); inbox != names.end()) order.push_back(inbox);
  for (auto it = names.begin(); it != names.end(); ++it)
    if (it->first != "INBOX") order.push_back(it);
  for (auto it : order) {
    const auto& [name, is] = *it;
    std::string shown = client_name(name, utf8_);
    bool matched = false;
    for (const auto& p : patterns) matched = matched || list_match(p, shown);
    if (!matched) continue;
    // RFC 5258 3: a selection lists what meets it, and with RECURSIVEMATCH
    // also a parent of something that does, marked with CHILDINFO.
    std::string childinfo;
    if (req.select_subscribed || req.select_special_use) {
      bool meets = req.select_subscribed ? is_subscribed(name) : is == Is::folder && is_special(name);
      bool child_meets = req.recursive_match &&
                         (req.select_subscribed ? has_child_that(name, is_subscribed) : has_child_that(name, is_special));
      if (!meets && !child_meets) continue;
      if (child_meets) childinfo = req.select_subscribed ? " (\"CHILDINFO\" (\"SUBSCRIBED\"))"
                                                          : " (\"CHILDINFO\" (\"SPECIAL-USE\"))";
    }
    std::string attrs;
    auto attr = [&](std::string_view a) {
      if (!attrs.empty()) attrs += ' ';
      attrs += a;
    };
    if (is == Is::gone) attr("\\NonExistent");
    else if (is == Is::parent) attr(rev2_ ? "\\NonExistent" : "\\Noselect");
    if (is != Is::gone) attr(has_child_that(name, [](const std::string&) { return true; }) ? "\\HasChildren"
                                                                                          : "\\HasNoChildren");
    if ((req.select_subscribed || req.return_subscribed) && is_subscribed(name)) attr("\\Subscribed");
    if (auto use = special_use(name); is == Is::folder && !use.empty()) attr(use);
    untagged("LIST (" + attrs + ") \".\" " + mailbox_out(name) + childinfo);
    // RFC 5819: the STATUS of each selectable mailbox listed, right after it.
    if (!req.status_items.empty() && is == Is::folder) {
      auto opened = status_boxes_.open(*store_, name);
      if (opened) untagged("STATUS " + mailbox_out(name) + " (" + status_items(**opened, req.status_items, set_.max_append_bytes) + ")");
    }
  }
  ok(k, "List completed.");
}

asio::awaitable<void> Session::cmd_lsub(const Call& k) {
  const auto& a = k.c.args;
  auto ref = a.size() == 2 ? list_arg(a[0]) : std::nullopt;
  auto pat = a.size() == 2 ? list_arg(a[1]) : std::nullopt;
  if (!ref || !pat) {
    bad(k, "LSUB takes a reference and a mailbox pattern.");
    co_return;
  }
  std::string pattern = join_reference(*ref, *pat);
  for (const auto& name : subscriptions_->names())
    if (list_match(pattern, client_name(name, utf8_))) untagged("LSUB () \".\" " + mailbox_out(name));
  ok(k, "Lsub completed.");
}

asio::awaitable<void> Session::cmd_create(const Call& k) {
  if (k.c.args.size() != 1) {
    bad(k, "CREATE takes a mailbox name.");
    co_return;
  }
  auto folder = folder_arg(k, 0);
  if (!folder) co_return;
  if (store_->open(*folder)) {
    no(k, "[ALREADYEXISTS] Mailbox already exists.");
    co_return;
  }
  if (auto s = store_->create(*folder); !s) {
    store_error(k, s.error(), "CREATE");
    co_return;
  }
  ok(k, "Create completed.");
}

asio::awaitable<void> Session::cmd_delete(const Call& k) {
  if (k.c.args.size() != 1) {
    bad(k, "DELETE takes a mailbox name.");
    co_return;
  }
  auto folder = folder_arg(k, 0);
  if (!folder) co_return;
  if (*folder == "INBOX") {
    no(k, "[CANNOT] INBOX cannot be deleted.");
    co_return;
  }
  if (box_ && box_->name() == *folder) {
    no(k, "[INUSE] Cannot delete the selected mailbox.");
    co_return;
  }
  if (!store_->open(*folder)) {
    // A \Noselect parent of other folders (RFC 9051 6.3.5).
    if (has_inferiors(*folder)) no(k, "[HASCHILDREN] Mailbox has inferior names; delete them first.");
    else no(k, "[NONEXISTENT] Mailbox does not exist.");
    co_return;
  }
  if (auto s = store_->remove(*folder); !s) {
    store_error(k, s.error(), "DELETE");
    co_return;
  }
  ok(k, "Delete completed.");
}

asio::awaitable<void> Session::cmd_rename(const Call& k) {
  if (k.c.args.size() != 2) {
    bad(k, "RENAME takes two mailbox names.");
    co_return;
  }
  auto from = folder_arg(k, 0);
  if (!from) co_return;
  auto to = folder_arg(k, 1);
  if (!to) co_return;
  if (*from == "INBOX") {
    no(k, "[CANNOT] Renaming INBOX is not supported.");
    co_return;
  }
  if (!store_->open(*from)) {
    no(k, "[NONEXISTENT] Mailbox does not exist.");
    co_return;
  }
  if (store_->open(*to)) {
    no(k, "[ALREADYEXISTS] Mailbox already exists.");
    co_return;
  }
  if (auto s = store_->rename(*from, *to); !s) {
    store_error(k, s.error(), "RENAME");
    co_return;
  }
  ok(k, "Rename completed.");
}

asio::awaitable<void> Session::cmd_subscribe(const Call& k) {
  if (k.c.args.size() != 1) {
    bad(k, "SUBSCRIBE takes a mailbox name.");
    co_return;
  }
  auto folder = folder_arg(k, 0);
  if (!folder) co_return;
  if (auto s = subscriptions_->add(*folder); !s) {
    store_error(k, s.error(), "SUBSCRIBE");
    co_return;
  }
  ok(k, "Subscribe completed.");
}

asio::awaitable<void> Session::cmd_unsubscribe(const Call& k) {
  if (k.c.args.size() != 1) {
    bad(k, "UNSUBSCRIBE takes a mailbox name.");
    co_return;
  }
  auto folder = folder_arg(k, 0);
  if (!folder) co_return;
  if (auto s = subscriptions_->remove(*folder); !s) {
    store_error(k, s.error(), "UNSUBSCRIBE");
    co_return;
  }
  ok(k, "Unsubscribe completed.");
}

asio::awaitable<void> Session::cmd_status(const Call& k) {
  const auto& a = k.c.args;
  if (a.size() != 2 || a[1].kind != Value::Kind::list || a[1].items.empty()) {
    bad(k, "STATUS takes a mailbox name and a list of items.");
    co_return;
  }
  std::vector<std::string> wanted;
  for (const auto& item : a[1].items) {
    wanted.push_back(item.keyword());
    if (!is_status_item(wanted.back()) || (rev2_ && wanted.back() == "RECENT")) {
      bad(k, "Unknown STATUS item.");
      co_return;
    }
  }
  // RFC 7162 3.1: STATUS (HIGHESTMODSEQ) is a CONDSTORE enabling command.
  if (std::find(wanted.begin(), wanted.end(), "HIGHESTMODSEQ") != wanted.end()) enable_condstore();
  auto folder = folder_arg(k, 0);
  if (!folder) co_return;
  // The selected folder is counted from the session's own mailbox, brought
  // up to date first (its EXISTS and EXPUNGE come before the STATUS line,
  // so the two agree), not from a second copy of it that would list the
  // folder and look at its new messages again.
  if (box_ && state_ == State::selected && box_->name() == *folder) {
    sync(true);
    untagged("STATUS " + mailbox_out(*folder) + " (" + status_items(*box_, wanted, set_.max_append_bytes) + ")");
    ok(k, "Status completed.");
    co_return;
  }
  auto opened = status_boxes_.open(*store_, *folder);
  if (!opened) {
    if (opened.error().is_temporary()) store_error(k, opened.error(), "STATUS");
    else no(k, "[NONEXISTENT] Mailbox does not exist.");
    co_return;
  }
  untagged("STATUS " + mailbox_out(*folder) + " (" + status_items(**opened, wanted, set_.max_append_bytes) + ")");
  ok(k, "Status completed.");
}

}  // namespace tern::imap
