// A message's CRLF size (see message_size.h).
#include "imap/server/message_size.h"

#include "base/fs.h"
#include "imap/server/message_text.h"
#include "store/maildir_filename.h"

namespace tern::imap {

uint64_t message_vsize(store::Mailbox& box, const store::MessageInfo& m) {
  if (m.vsize_bytes) return m.vsize_bytes;  // known to the store (an mbox counts it while reading)
  std::string name = fs::basename(m.path);
  if (store::maildir_name_ok(name)) {
    auto parsed = store::parse_maildir_filename(name);
    if (parsed.vsize_bytes) return *parsed.vsize_bytes;
  }
  auto bytes = box.read(m.uid);
  return bytes ? crlf_size(*bytes) : 0;
}

}  // namespace tern::imap
