// STATUS's answer for one mailbox, shared by STATUS, LIST-STATUS and
// NOTIFY's STATUS responses for mailboxes other than the selected one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/mailbox.h"

namespace tern::imap {

// "MESSAGES 3 UIDNEXT 9" for items already checked (is_status_item).
std::string status_items(store::Mailbox& box, const std::vector<std::string>& wanted, uint64_t append_limit);

}  // namespace tern::imap
