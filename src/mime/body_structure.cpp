// BODY and BODYSTRUCTURE (RFC 3501 7.4.2, RFC 9051 7.5.2) of a parsed
// message: a walk of the tree (tree.h), at most max_depth deep.
//
// Per part: type, subtype, parameters (content_type.h: RFC 2231 in
// Dovecot's form), Content-ID, Content-Description, Content-Transfer-Encoding
// ("7bit" when absent), body size in CRLF octets; text/* adds its line
// count (CRLFs: a last line without one is not counted, as in Dovecot),
// message/rfc822 its envelope, body and line count. The extension data of
// BODYSTRUCTURE: MD5 always NIL (tern does not check Content-MD5),
// disposition, language (a string, or a list when several), location; a
// multipart's: parameters, disposition, language, location.
#include <string>

#include "imap/proto/response.h"
#include "mime/envelope.h"
#include "mime/header_fields.h"
#include "mime/message.h"

namespace tern::mime {

namespace {

std::string params(const std::vector<Param>& ps) {
  if (ps.empty()) return "NIL";
  std::string out = "(";
  for (const Param& p : ps) {
    if (out.size() > 1) out += ' ';
    out += imap::format_string(p.name) + ' ' + imap::format_string(p.value);
  }
  return out + ")";
}

// A text part without a charset has charset us-ascii (RFC 2045 5.2); said
// explicitly, last, as Dovecot does, for clients that need it.
std::vector<Param> reported_params(const MediaType& media) {
  std::vector<Param> ps = media.params;
  if (!iequals(media.type, "text")) return ps;
  for (const Param& p : ps)
    if (iequals(p.name, "charset") || iequals(p.name, "charset*")) return ps;
  ps.push_back({"charset", "us-ascii"});
  return ps;
}

std::string disposition(const std::vector<Field>& fields) {
  auto value = first_value(fields, "Content-Disposition");
  if (!value) return "NIL";
  auto d = parse_disposition(*value);
  if (!d) return "NIL";
  return "(" + imap::format_string(d->value) + ' ' + params(d->params) + ")";
}

std::string language(const std::vector<Field>& fields) {
  auto value = first_value(fields, "Content-Language");
  if (!value) return "NIL";
  std::vector<std::string> tags;
  std::string tag;
  for (char c : *value + ",") {
    if (c == ',') {
      if (!tag.empty()) tags.push_back(tag);
      tag.clear();
    } else if (c != ' ' && c != '\t') {
      tag.push_back(c);
    }
  }
  if (tags.empty()) return "NIL";
  if (tags.size() == 1) return imap::format_string(tags[0]);
  std::string out = "(";
  for (const std::string& t : tags) out += (out.size() > 1 ? " " : "") + imap::format_string(t);
  return out + ")";
}

std::string extension(const std::vector<Field>& fields) {
  return disposition(fields) + ' ' + language(fields) + ' ' +
         imap::format_nstring(first_value(fields, "Content-Location"));
}

// Text lines: line ends, as Dovecot counts them (a part's last line before
// a boundary has none: that CRLF belongs to the boundary).
size_t lines(std::string_view body) {
  size_t n = 0;
  for (char c : body) n += c == '\n';
  return n;
}

void write(std::string& out, std::string_view text, const Entity& e, bool extended) {
  std::vector<Field> fields = header_fields(text.substr(e.begin, e.body_begin - e.begin));
  out += '(';
  if (e.kind == Entity::Kind::multipart) {
    for (const Entity& child : e.children) write(out, text, child, extended);
    out += ' ' + imap::format_string(e.media.subtype);
    if (extended) out += ' ' + params(e.media.params) + ' ' + extension(fields);
    out += ')';
    return;
  }
  std::string_view body = text.substr(e.body_begin, e.end - e.body_begin);
  out += imap::format_string(e.media.type) + ' ' + imap::format_string(e.media.subtype);
  out += ' ' + params(reported_params(e.media));
  out += ' ' + imap::format_nstring(first_value(fields, "Content-ID"));
  out += ' ' + imap::format_nstring(first_value(fields, "Content-Description"));
  auto cte = first_value(fields, "Content-Transfer-Encoding");
  out += ' ' + imap::format_string(cte && !cte->empty() ? *cte : "7bit");
  out += ' ' + std::to_string(body.size());
  if (e.kind == Entity::Kind::message) {
    const Entity& inner = e.children.front();
    out += ' ' + envelope_of(text.substr(inner.begin, inner.body_begin - inner.begin)) + ' ';
    write(out, text, inner, extended);
    out += ' ' + std::to_string(lines(body));
  } else if (iequals(e.media.type, "text")) {
    out += ' ' + std::to_string(lines(body));
  }
  if (extended) out += " NIL " + extension(fields);
  out += ')';
}

}  // namespace

std::string Message::body_structure(bool extended) const {
  std::string out;
  write(out, crlf(), tree().root, extended);
  return out;
}

}  // namespace tern::mime
