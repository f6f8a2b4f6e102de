// RFC822.SIZE and STATUS SIZE: a message's size as IMAP sends it (CRLF
// line ends), which for a Maildir file stored with LF is more than the
// file. Dovecot's ",W=" field in the file name says it; otherwise the
// message is read once and counted.
#pragma once

#include <cstdint>

#include "store/mailbox.h"

namespace tern::imap {

// 0 when the message cannot be read (it vanished meanwhile).
uint64_t message_vsize(store::Mailbox& box, const store::MessageInfo& m);

}  // namespace tern::imap
