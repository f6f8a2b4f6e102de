// The mailbox commands of the authenticated state: LIST and LSUB (RFC 3501
// 6.3.8/6.3.9, with RFC 3348's \HasChildren / \HasNoChildren), CREATE,
// DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, STATUS (RFC 9051 6.3.11, RFC 8438
// SIZE). Names go through names.h (folder_of) before the store sees them.
#include <map>

#include "base/log.h"
#include "imap/proto/response.h"
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

std::string mailbox_out(const std::string& name) { return format_astring(name); }

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
  auto folder = folder_of(*name);
  if (!folder) no(k, "[CANNOT] Invalid mailbox name.");
  return folder;
}

void Session::store_error(const Call& k, const Error& e, std::string_view what) {
  log::warn("imap: {}: user={}: {}: {}", client_name_, user_, what, e.detail);
  if (e.is_temporary()) no(k, "[UNAVAILABLE] " + std::string(what) + " failed; try again later.");
  else no(k, "[CANNOT] " + std::string(what) + " failed.");
}

asio::awaitable<void> Session::cmd_list(const Call& k) {
  const auto& a = k.c.args;
  auto ref = a.size() == 2 ? list_arg(a[0]) : std::nullopt;
  auto pat = a.size() == 2 ? list_arg(a[1]) : std::nullopt;
  if (!ref || !pat) {
    bad(k, "LIST takes a reference and a mailbox pattern.");
    co_return;
  }
  if (pat->empty()) {
    untagged("LIST (\\Noselect) \".\" \"\"");
    ok(k, "List completed.");
    co_return;
  }
  auto folders = store_->list();
  if (!folders) {
    store_error(k, folders.error(), "LIST");
    co_return;
  }
  // Every folder, and its missing parents (\Noselect), with whether it has children.
  std::map<std::string, bool> names;  // name -> exists
  for (const auto& f : *folders) {
    names[f] = true;
    for (size_t dot = f.find(kDelimiter); dot != std::string::npos; dot = f.find(kDelimiter, dot + 1))
      names.emplace(f.substr(0, dot), false);
  }
  std::string pattern = join_reference(*ref, *pat);
  // INBOX first, as every server lists it; then the rest in name order.
  std::vector<std::map<std::string, bool>::const_iterator> order;
  if (auto inbox = names.find("INBOX"); inbox != names.end()) order.push_back(inbox);
  for (auto it = names.begin(); it != names.end(); ++it)
    if (it->first != "INBOX") order.push_back(it);
  for (auto it : order) {
    const auto& [name, exists] = *it;
    if (!list_match(pattern, name)) continue;
    auto next = names.upper_bound(name);
    bool children = next != names.end() && next->first.starts_with(name + kDelimiter);
    std::string attrs = exists ? "" : "\\Noselect ";
    attrs += children ? "\\HasChildren" : "\\HasNoChildren";
    if (auto use = special_use(name); exists && !use.empty()) attrs += " " + std::string(use);
    untagged("LIST (" + attrs + ") \".\" " + mailbox_out(name));
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
    if (list_match(pattern, name)) untagged("LSUB () \".\" " + mailbox_out(name));
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
    no(k, "[NONEXISTENT] Mailbox does not exist.");
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
  for (const auto& item : a[1].items) {
    std::string w = item.keyword();
    if (w != "MESSAGES" && w != "UIDNEXT" && w != "UIDVALIDITY" && w != "UNSEEN" && w != "SIZE" && w != "RECENT" &&
        w != "DELETED") {
      bad(k, "Unknown STATUS item.");
      co_return;
    }
  }
  auto folder = folder_arg(k, 0);
  if (!folder) co_return;
  auto opened = store_->open(*folder);
  if (!opened) {
    if (opened.error().is_temporary()) store_error(k, opened.error(), "STATUS");
    else no(k, "[NONEXISTENT] Mailbox does not exist.");
    co_return;
  }
  store::Mailbox& box = **opened;
  std::string items;
  for (const auto& item : a[1].items) {
    std::string w = item.keyword();
    uint64_t v = 0;
    if (w == "MESSAGES") v = box.messages().size();
    else if (w == "UIDNEXT") v = box.uidnext();
    else if (w == "UIDVALIDITY") v = box.uidvalidity();
    else if (w == "UNSEEN" || w == "DELETED") {
      auto bit = w == "UNSEEN" ? store::kFlagSeen : store::kFlagDeleted;
      for (const auto& m : box.messages()) v += w == "UNSEEN" ? !(m.flags & bit) : (m.flags & bit) != 0;
    } else if (w == "SIZE") {
      for (const auto& m : box.messages()) v += message_vsize(box, m);
    }
    if (!items.empty()) items += ' ';
    items += w + " " + std::to_string(v);
  }
  untagged("STATUS " + mailbox_out(*folder) + " (" + items + ")");
  ok(k, "Status completed.");
}

}  // namespace tern::imap
