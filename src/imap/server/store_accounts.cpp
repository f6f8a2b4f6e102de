// Implementation of StoreAccounts (see store_accounts.h).
#include "imap/server/store_accounts.h"

#include <algorithm>

#include "base/log.h"
#include "imap/server/special_use.h"
#include "imap/server/subscriptions.h"
#include "store/mailbox_path.h"
#include "store/maildir_store.h"
#include "store/mbox_store.h"

namespace tern::imap {

Result<Account> StoreAccounts::open(const std::string& user) {
  std::optional<store::MailLocation> mbox;
  if (mail_) {
    auto loc = mail_(user);
    if (!loc) {
      log::warn("imap: user={}: mail location refused: {}", user, loc.error().detail);
      return Error::temp("the account's mail location cannot be used");
    }
    mbox = std::move(*loc);
  }
  std::unique_ptr<store::MailStore> store;
  Result<std::string> root = std::string();
  if (mbox) {
    root = mbox->root + "/";
    store = std::make_unique<store::MboxStore>(*mbox);
  } else {
    if (base_.empty()) return Error::temp("virtual_mailbox_base is not set");
    root = store::virtual_mailbox_path(base_, user);
    if (!root) return Error::temp(root.error().detail);  // the verifier accepted it: not the client's fault
    store = std::make_unique<store::MaildirStore>(*root);
  }
  // Opening INBOX creates the Maildir of an account that has had no mail.
  if (auto inbox = store->open("INBOX"); !inbox) {
    if (mbox) log::warn("imap: user={}: {}", user, inbox.error().detail);
    return inbox.error();
  }
  Account a;
  a.subscriptions_path = *root + "subscriptions";
  if (auto folders = store->list(); folders) {
    Subscriptions subs(a.subscriptions_path);
    for (const auto& f : kSpecialFolders) {
      std::string name(f.name);
      if (std::find(folders->begin(), folders->end(), name) != folders->end()) continue;
      if (auto st = store->create(name); !st) {
        log::warn("imap: user={}: cannot create {}: {}", user, name, st.error().detail);
        continue;
      }
      if (auto st = subs.add(name); !st) log::warn("imap: user={}: cannot subscribe {}: {}", user, name, st.error().detail);
    }
  } else {
    log::warn("imap: user={}: cannot list folders: {}", user, folders.error().detail);
  }
  a.store = std::move(store);
  a.root = *root;
  if (quota_) {
    if (auto rule = quota_(user); rule) a.quota = *rule;
    else log::warn("imap: user={}: quota rule ignored: {}", user, rule.error().detail);
  }
  return a;
}

}  // namespace tern::imap
