// One account's folders as Maildir++ (what Dovecot and Courier use): INBOX
// is the account's Maildir itself, every other folder "a.b" the Maildir
// ROOT/.a.b/ (with an empty "maildirfolder" file, as Courier and Dovecot
// create), "." between hierarchy levels. A parent need not exist.
//
// create builds the folder under a temporary name and renames it into
// place, so a crash never leaves a folder without cur/, new/ or tmp/;
// remove renames the folder out of the namespace first, then deletes it;
// rename moves the folder and its children. Each of them tells the
// process's ChangeHub, so that IMAP NOTIFY sessions learn of new, deleted
// and renamed folders at once.
//
// SECURITY: folder names come from IMAP clients. folder_name_ok allows only
// names that map to one directory entry directly below the root: no '/',
// no empty level (so no leading '.', no ".."), no control bytes, at most
// kMaxFolderLevels levels and kMaxFolderNameBytes bytes. Directories are
// opened and removed relative to the root's descriptor without following
// symlinks; a symlinked folder is not listed and cannot be opened.
#pragma once

#include <memory>
#include <string>

#include "store/mailbox.h"

namespace tern::store {

constexpr size_t kMaxFolderLevels = 16;      // deeper than any client's tree; refuses "300 levels"
constexpr size_t kMaxFolderNameBytes = 250;  // one directory entry with its leading '.'

bool folder_name_ok(std::string_view folder);
bool is_inbox(std::string_view folder);

class MaildirStore final : public MailStore {
 public:
  // root: the account's Maildir, e.g. from virtual_mailbox_path (created on
  // first open of INBOX if missing, as delivery would).
  explicit MaildirStore(std::string root);

  Result<std::unique_ptr<Mailbox>> open(std::string_view folder) override;
  Result<std::vector<std::string>> list() override;
  Status create(std::string_view folder) override;
  Status remove(std::string_view folder) override;
  Status rename(std::string_view from, std::string_view to) override;
  std::unique_ptr<ChangeHub::Watch> watch(std::string_view folder, ChangeHub::Callback cb) override;
  std::unique_ptr<ChangeHub::Watch> watch_names(ChangeHub::Callback cb) override;
  std::vector<std::pair<std::string, std::string>> renames_since(uint64_t* cursor) override;

 private:
  // The hub's name for "the folder list of this account" (no directory
  // path holds a newline, so it names no folder).
  std::string names_key() const;
  Result<std::string> dir_of(std::string_view folder) const;
  std::string root_;
};

}  // namespace tern::store
