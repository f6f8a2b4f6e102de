// The MIME seam (message_structure.h) over the mime module (mime/message.h,
// GMime): what roles puts in Services::structure so that FETCH answers
// ENVELOPE, BODY, BODYSTRUCTURE and numbered sections. BINARY (not
// advertised yet) is decoded by mime (base64, quoted-printable); another
// encoding is answered NIL.
#pragma once

#include "imap/server/message_structure.h"

namespace tern::imap {

class MimeParser final : public MessageParser {
 public:
  // The structure borrows message_crlf: it must outlive what parse returns
  // (FETCH keeps the message's bytes for the message's whole response).
  std::unique_ptr<MessageStructure> parse(std::string_view message_crlf) const override;
  SortFields sort_fields(std::string_view header_crlf) const override;
};

}  // namespace tern::imap
