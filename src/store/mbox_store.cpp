// MboxStore (see mbox_store.h): INBOX from the mbox file, the rest from
// the Maildir++ tree.
#include "store/mbox_store.h"

#include "store/mbox_mailbox.h"

namespace tern::store {

Result<std::unique_ptr<Mailbox>> MboxStore::open(std::string_view folder) {
  if (!is_inbox(folder)) return rest_.open(folder);
  auto box = MboxMailbox::open(loc_.inbox, "INBOX");
  if (!box) return box.error();
  return std::unique_ptr<Mailbox>(std::move(*box));
}

}  // namespace tern::store
