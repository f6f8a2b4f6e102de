// Accessors of the IMAP argument tree (value.h).
#include "imap/proto/value.h"

#include "imap/proto/chars.h"

namespace tern::imap {

std::optional<std::string_view> Value::astring() const {
  if (kind == Kind::list || streamed) return std::nullopt;
  if (kind == Kind::quoted || kind == Kind::literal) return std::string_view(text);
  // An astring atom: ASTRING-CHARs only (no bracket section, no '%' '*').
  for (char c : text)
    if (!is_astring_char(c)) return std::nullopt;
  return std::string_view(text);
}

std::string Value::keyword() const {
  if (kind != Kind::atom && kind != Kind::nil) return {};
  return upper(text);
}

}  // namespace tern::imap
