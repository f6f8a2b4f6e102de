// MessageParser over mime::Message (see mime_parser.h).
#include "imap/server/mime_parser.h"

#include "mime/message.h"

namespace tern::imap {
namespace {

class MimeStructure final : public MessageStructure {
 public:
  explicit MimeStructure(std::string_view crlf) : message_(crlf) {}
  std::string envelope() const override { return message_.envelope(); }
  std::string bodystructure(bool extensible) const override { return message_.body_structure(extensible); }
  std::optional<std::string> section(const Section& s, bool binary) const override {
    if (!binary) return message_.section(s);
    // BINARY (RFC 3516): the seam has no way to say UNKNOWN-CTE yet, so an
    // encoding mime cannot undo is answered like a missing part.
    mime::Binary b = message_.binary(s.part);
    if (b.status != mime::Binary::Status::ok) return std::nullopt;
    return std::move(b.bytes);
  }

 private:
  mime::Message message_;
};

}  // namespace

std::unique_ptr<MessageStructure> MimeParser::parse(std::string_view message_crlf) const {
  return std::make_unique<MimeStructure>(message_crlf);
}

}  // namespace tern::imap
