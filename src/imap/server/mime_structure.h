// The MessageParser that answers ENVELOPE, BODYSTRUCTURE and numbered
// sections with the mime module (GMime's header grammars, tern's part
// splitter: mime/message.h). roles puts it in every IMAP Services.
#pragma once

#include "imap/server/message_structure.h"

namespace tern::imap {

class MimeParser final : public MessageParser {
 public:
  std::unique_ptr<MessageStructure> parse(std::string_view message_crlf) const override;
};

}  // namespace tern::imap
