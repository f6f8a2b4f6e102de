// MessageParser over mime::Message (see mime_parser.h).
#include "imap/server/mime_parser.h"

#include "mime/message.h"
#include "mime/sort_fields.h"

namespace tern::imap {
namespace {

class MimeStructure final : public MessageStructure {
 public:
  explicit MimeStructure(std::string_view crlf) : message_(crlf) {}
  std::string envelope() const override { return message_.envelope(); }
  std::string bodystructure(bool extensible) const override { return message_.body_structure(extensible); }
  std::optional<std::string> section(const Section& s) const override { return message_.section(s); }
  Decoded binary(const std::vector<uint32_t>& part) const override {
    mime::Binary b = message_.binary(part);
    using S = Decoded::Status;
    S status = b.status == mime::Binary::Status::ok       ? S::ok
               : b.status == mime::Binary::Status::no_part ? S::no_part
                                                           : S::unknown_cte;
    return {status, std::move(b.bytes)};
  }

 private:
  mime::Message message_;
};

}  // namespace

std::unique_ptr<MessageStructure> MimeParser::parse(std::string_view message_crlf) const {
  return std::make_unique<MimeStructure>(message_crlf);
}

SortFields MimeParser::sort_fields(std::string_view header_crlf) const { return mime::sort_fields_of(header_crlf); }

}  // namespace tern::imap
