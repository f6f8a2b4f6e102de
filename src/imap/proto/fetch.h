// FETCH attributes (RFC 3501 6.4.5, RFC 9051 6.4.5, RFC 3516 BINARY,
// RFC 7162 MODSEQ / CHANGEDSINCE / VANISHED) parsed from the argument tree:
// the macros ALL, FAST and FULL, the simple items, and BODY[section]<partial>
// with part numbers, HEADER, HEADER.FIELDS (list), HEADER.FIELDS.NOT (list),
// TEXT and MIME, BODY.PEEK, BINARY[part], BINARY.PEEK, BINARY.SIZE.
//
// SECURITY: from the network. Part numbers are bounded by max_part_depth
// (RELIABILITY.md #13: BODY[1.1.1...x200] is BAD), the field list by
// max_fields; partial offsets fit 32 bits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "imap/proto/value.h"

namespace tern::imap {

struct Section {
  enum class Text { none, header, header_fields, header_fields_not, text, mime };
  std::vector<uint32_t> part;       // "1.2.3": 1-based part numbers, empty for the whole message
  Text text = Text::none;
  std::vector<std::string> fields;  // HEADER.FIELDS(.NOT): names, upper-cased
  std::string to_string() const;    // "1.2.HEADER.FIELDS (FROM TO)", as it goes inside [...]
};

struct FetchAtt {
  enum class Kind {
    envelope, flags, internaldate, rfc822, rfc822_header, rfc822_size, rfc822_text,
    body,           // BODY without a section: the non-extensible BODYSTRUCTURE
    bodystructure, uid, modseq,
    body_section,   // BODY[section]<partial> / BODY.PEEK[...]
    binary,         // BINARY[part]<partial> / BINARY.PEEK[...]
    binary_size,    // BINARY.SIZE[part]
  };
  Kind kind = Kind::flags;
  bool peek = false;  // .PEEK: do not set \Seen
  Section section;
  bool partial = false;
  uint32_t origin = 0;  // <origin.octets>
  uint32_t octets = 0;
  // The item's name in the FETCH response: "BODY[1.MIME]<0>", "RFC822.SIZE".
  std::string response_name() const;
  // Whether fetching it sets \Seen (RFC 3501: BODY[...], RFC822, RFC822.TEXT).
  bool sets_seen() const;
  // Whether answering it takes the message's MIME structure: ENVELOPE,
  // BODY(STRUCTURE), BINARY, a numbered part or a MIME header.
  bool needs_structure() const;
};

struct FetchRequest {
  std::vector<FetchAtt> atts;
  bool changedsince = false;  // (CHANGEDSINCE n) given
  uint64_t changedsince_modseq = 0;
  bool vanished = false;      // (VANISHED) given (QRESYNC, UID FETCH only)
};

struct FetchLimits {
  size_t max_part_depth = 100;  // as deep as the MIME nesting limit allows
  size_t max_fields = 1000;     // names in one HEADER.FIELDS list
};

// Parses the arguments after the sequence set: args[first] is the macro,
// the attribute or the list of attributes; an optional modifier list follows.
std::variant<FetchRequest, std::string> parse_fetch(const std::vector<Value>& args, size_t first,
                                                    const FetchLimits& limits = {});
// One attribute from its atom text ("BODY.PEEK[HEADER]<0.10>").
std::variant<FetchAtt, std::string> parse_fetch_att(std::string_view text, const FetchLimits& limits = {});

}  // namespace tern::imap
