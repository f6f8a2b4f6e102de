// BINARY[part] (RFC 3516): the content of a part with its transfer
// encoding undone by GMime's decoders (see message.h).
//
// SECURITY: the body is untrusted; decoding never produces more bytes than
// g_mime_encoding_outlen allows for the input, which is linear in it.
#include <gmime/gmime.h>

#include "mime/gmime_init.h"
#include "mime/header_fields.h"
#include "mime/message.h"

namespace tern::mime {

namespace {

std::string decode(GMimeContentEncoding encoding, std::string_view in) {
  GMimeEncoding state;
  g_mime_encoding_init_decode(&state, encoding);
  std::string out(g_mime_encoding_outlen(&state, in.size()), '\0');
  size_t n = g_mime_encoding_flush(&state, in.data(), in.size(), out.data());
  out.resize(n);
  return out;
}

}  // namespace

Binary Message::binary(const std::vector<uint32_t>& path) const {
  if (path.empty()) return {Binary::Status::ok, std::string(crlf())};
  const Entity* part = numbered_part(tree().root, path);
  if (!part) return {Binary::Status::no_part, {}};
  std::string_view body = crlf().substr(part->body_begin, part->end - part->body_begin);
  std::vector<Field> fields = header_fields(crlf().substr(part->begin, part->body_begin - part->begin));
  auto cte = first_value(fields, "Content-Transfer-Encoding");
  if (!cte || cte->empty() || iequals(*cte, "7bit") || iequals(*cte, "8bit") || iequals(*cte, "binary"))
    return {Binary::Status::ok, std::string(body)};
  ensure_gmime();
  GMimeContentEncoding encoding = g_mime_content_encoding_from_string(cte->c_str());
  if (encoding != GMIME_CONTENT_ENCODING_BASE64 && encoding != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE)
    return {Binary::Status::unknown_cte, {}};
  return {Binary::Status::ok, decode(encoding, body)};
}

}  // namespace tern::mime
