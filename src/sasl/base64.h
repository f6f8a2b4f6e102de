// Base64 (RFC 4648 section 4) for SASL exchanges: strict decoding, since a
// SASL response that is not canonical base64 is a protocol error the
// server answers (RFC 4954: 501 5.5.2), never something to guess at.
//
// SECURITY: decodes network input. Refused: any byte outside the alphabet
// (whitespace and line breaks included), a length that is not a multiple of
// four, '=' anywhere but the last one or two places, and non-zero bits in
// the final padding group (which would let two encodings mean one value).
// The output is at most 3/4 of the input.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tern::sasl {

std::string base64_encode(std::string_view bytes);
// nullopt when `text` is not canonical base64; "" decodes to "".
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace tern::sasl
