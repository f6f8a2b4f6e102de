// Content-Type and Content-Disposition values (RFC 2045, RFC 2183) parsed by
// GMime, with parameters as IMAP reports them. GMime joins RFC 2231
// continuations and decodes charsets; BODYSTRUCTURE cannot carry the 8-bit
// result in a way clients read as RFC 2231, so, like Dovecot, a parameter
// that was extended comes out as one "name*" with the value
// charset'language'%XX... (re-encoded in its original charset, or UTF-8 when
// that fails), and continuations without charset come out joined under the
// plain name.
//
// SECURITY: header values are untrusted. At most max_header_value_bytes and
// max_params parameters reach GMime.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tern::mime {

struct Param {
  std::string name;
  std::string value;
};

struct MediaType {
  std::string type;     // as written ("text"), or GMime's default for nonsense
  std::string subtype;  // "plain"
  std::vector<Param> params;
  std::string boundary;  // the decoded boundary parameter, empty if none
};

struct Disposition {
  std::string value;  // "attachment"
  std::vector<Param> params;
};

MediaType parse_content_type(std::string_view value);
std::optional<Disposition> parse_disposition(std::string_view value);

}  // namespace tern::mime
