// LIST arguments (RFC 3501 6.3.8, with RFC 5258 LIST-EXTENDED, RFC 5819
// LIST-STATUS and RFC 6154 SPECIAL-USE): the optional selection options,
// the reference, one pattern or a list of them, and the optional RETURN
// options. A plain "LIST ref pattern" parses to the defaults, so the
// session answers it as RFC 3501 says.
//
// SECURITY: from the network. Patterns are bounded by the command reader's
// limits; an unknown option is an error (RFC 5258 3: BAD), not ignored.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "imap/proto/value.h"

namespace tern::imap {

struct ListRequest {
  bool extended = false;  // selection or return options were given (RFC 5258 output rules apply)
  // Selection options.
  bool select_subscribed = false;
  bool select_special_use = false;
  bool recursive_match = false;
  // Return options.
  bool return_subscribed = false;
  bool return_children = false;
  bool return_special_use = false;
  std::vector<std::string> status_items;  // RETURN (STATUS (...)), upper-cased; empty: none
  std::string reference;
  std::vector<std::string> patterns;
};

// The items STATUS and LIST-STATUS accept (RFC 9051 6.3.11, RFC 8438 SIZE,
// RFC 7889 APPENDLIMIT).
bool is_status_item(std::string_view upper);

// args: the whole argument list of LIST. Errors are the text of a BAD.
std::variant<ListRequest, std::string> parse_list(const std::vector<Value>& args);

}  // namespace tern::imap
