// BODY[section] (RFC 3501 6.4.5): part numbers to an entity, then the bytes
// the text specifier names.
//
// Numbering: the parts of a multipart are 1..n; a message/rfc822 part's
// numbers are those of the message it holds; a message (the whole one or an
// encapsulated one) that is not multipart has the one part 1, its body.
// HEADER, HEADER.FIELDS (.NOT) and TEXT apply to the whole message (no part
// number) or to a message/rfc822 part; MIME to any numbered part. A
// HEADER.FIELDS answer ends with the empty line, as Dovecot's does.
#include <optional>
#include <string>

#include "mime/header_fields.h"
#include "mime/message.h"

namespace tern::mime {

namespace {

using Text = imap::Section::Text;

const Entity* nth_of_message(const Entity& message, uint32_t n) {
  if (message.kind != Entity::Kind::multipart) return n == 1 ? &message : nullptr;
  return n >= 1 && n <= message.children.size() ? &message.children[n - 1] : nullptr;
}

const Entity* nth_of_part(const Entity& part, uint32_t n) {
  if (part.kind == Entity::Kind::multipart)
    return n >= 1 && n <= part.children.size() ? &part.children[n - 1] : nullptr;
  if (part.kind == Entity::Kind::message) return nth_of_message(part.children.front(), n);
  return nullptr;
}

std::string_view header_of(std::string_view text, const Entity& e) {
  return text.substr(e.begin, e.body_begin - e.begin);
}

std::string filtered_header(std::string_view header, const std::vector<std::string>& names, bool keep) {
  std::string out;
  for (const Field& f : header_fields(header)) {
    bool listed = false;
    for (const std::string& n : names) listed = listed || iequals(f.name, n);
    if (listed == keep) out += f.raw;
  }
  return out + "\r\n";
}

}  // namespace

std::optional<std::string> Message::section(const imap::Section& s) const {
  std::string_view text = crlf();
  const Entity* part = nullptr;  // the numbered part, or null for the whole message
  for (size_t i = 0; i < s.part.size(); ++i) {
    part = i == 0 ? nth_of_message(tree().root, s.part[0]) : nth_of_part(*part, s.part[i]);
    if (!part) return std::nullopt;
  }
  if (s.text == Text::none)
    return std::string(part ? text.substr(part->body_begin, part->end - part->body_begin) : text);
  if (s.text == Text::mime) {
    if (!part) return std::nullopt;
    return std::string(header_of(text, *part));
  }
  const Entity* message = &tree().root;
  if (part) {
    if (part->kind != Entity::Kind::message) return std::nullopt;
    message = &part->children.front();
  }
  switch (s.text) {
    case Text::header:
      return std::string(header_of(text, *message));
    case Text::header_fields:
      return filtered_header(header_of(text, *message), s.fields, true);
    case Text::header_fields_not:
      return filtered_header(header_of(text, *message), s.fields, false);
    case Text::text:
      return std::string(text.substr(message->body_begin, message->end - message->body_begin));
    default:
      return std::nullopt;
  }
}

}  // namespace tern::mime
