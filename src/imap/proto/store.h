// STORE arguments (RFC 3501 6.4.6, RFC 7162 UNCHANGEDSINCE) and the flag
// grammar they share with APPEND (flag-list): system flags are
// canonicalised ("\seen" -> "\Seen"), keywords kept as sent.
//
// SECURITY: from the network. \Recent cannot be stored (RFC 3501 2.3.2);
// an unknown system flag ("\Foo") is refused; keywords are atoms only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "imap/proto/value.h"

namespace tern::imap {

struct StoreRequest {
  enum class Mode { replace, add, remove };  // FLAGS, +FLAGS, -FLAGS
  Mode mode = Mode::replace;
  bool silent = false;  // .SILENT: no untagged FETCH for this client
  std::vector<std::string> flags;
  std::optional<uint64_t> unchangedsince;  // (UNCHANGEDSINCE n)
};

// A flag as it may be stored: "\Seen"-style system flags canonicalised, or a
// keyword atom; nullopt otherwise (including "\Recent").
std::optional<std::string> parse_flag(std::string_view s);

// A flag-list value "(\Seen $Label)"; nullopt when any item is no flag.
std::optional<std::vector<std::string>> parse_flag_list(const Value& v);

// The arguments after the sequence set: [(UNCHANGEDSINCE n)] item flags.
std::variant<StoreRequest, std::string> parse_store(const std::vector<Value>& args, size_t first);

}  // namespace tern::imap
