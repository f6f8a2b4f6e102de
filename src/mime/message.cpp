// Message: the CRLF form and the tree, parsed once (see message.h).
#include "mime/message.h"

#include "mime/crlf.h"

namespace tern::mime {

Message::Message(std::string_view bytes) {
  std::string_view text = to_crlf(bytes, storage_);
  owned_ = text.data() != bytes.data() || bytes.empty();
  if (!owned_) borrowed_ = bytes;
  tree_ = parse_tree(crlf());
}

std::string envelope(std::string_view message) { return Message(message).envelope(); }

std::string bodystructure(std::string_view message, bool extended) {
  return Message(message).body_structure(extended);
}

std::optional<std::string> section(std::string_view message, const imap::Section& s) {
  return Message(message).section(s);
}

}  // namespace tern::mime
