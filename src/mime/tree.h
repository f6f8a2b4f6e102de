// The MIME structure of a message (RFC 2045/2046): each entity's byte range
// in the message's CRLF form, its header/body split and its children, which
// ENVELOPE, BODYSTRUCTURE and BODY[section] all read.
//
// Why the split is here and not GMime's parser: IMAP needs the exact byte
// range of every part's header and body (sections, sizes, line counts),
// which GMime's object tree does not keep, and the limits (limits.h) must
// hold before any recursion. Header values (Content-Type parameters,
// RFC 2231, RFC 2047, address lists) are GMime's: content_type.h.
//
// SECURITY: the message is untrusted. Recursion depth is at most max_depth
// levels, the tree has at most max_parts entities, each level scans its
// body once (work at most size x max_depth).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "mime/content_type.h"

namespace tern::mime {

struct Entity {
  enum class Kind { leaf, multipart, message };
  Kind kind = Kind::leaf;
  size_t begin = 0;       // first byte of the header section
  size_t body_begin = 0;  // first byte after the header's empty line (end if none)
  size_t end = 0;         // one past the last byte of the body
  // As reported: the header's Content-Type or its default (text/plain;
  // charset=us-ascii, message/rfc822 in a multipart/digest); an
  // application/octet-stream leaf where a limit cut the structure or a
  // multipart has no usable boundary.
  MediaType media;
  // multipart: its parts; message (message/rfc822): one, the encapsulated
  // message, whose range is this entity's body.
  std::vector<Entity> children;
};

struct Tree {
  Entity root;         // the message itself
  size_t entities = 0;  // in the tree, root included
  bool cut = false;    // some limit of limits.h cut the structure
};

// text: a whole message in CRLF form (crlf.h).
Tree parse_tree(std::string_view text);

}  // namespace tern::mime
