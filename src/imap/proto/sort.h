// SORT (RFC 5256) with SORT=DISPLAY (RFC 5957) and ESORT (RFC 5267): the
// arguments parsed into sort criteria and a search, and the "base subject"
// that SUBJECT sorts by (RFC 5256 2.1: "Re:", "Fwd:", "[list]" and
// "(fwd)" taken off, so a thread's messages sort together). Evaluation and
// the header values belong to the server.
//
// SECURITY: from the network (arguments) and from messages (subjects):
// both bounded by their callers; base_subject only ever shortens its input
// and runs in linear passes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "imap/proto/search.h"

namespace tern::imap {

struct SortCriterion {
  enum class Key { arrival, cc, date, from, size, subject, to, display_from, display_to };
  Key key = Key::arrival;
  bool reverse = false;
};

// What SORT compares of one message, read from its header by the MIME
// layer: the subject decoded to UTF-8 (base_subject is applied by the
// caller), the first From/To/Cc address's addr-mailbox (RFC 5256), the
// display name of the first From/To address or, without one, its
// addr-spec (RFC 5957), and the Date: header in seconds since the epoch.
struct SortFields {
  std::string subject;
  std::string from, to, cc;
  std::string display_from, display_to;
  std::optional<int64_t> date_s;
  std::string message_id;               // for THREAD (thread.h), without "<>"
  std::vector<std::string> references;  // References:, else In-Reply-To:'s first id
};

struct SortRequest {
  std::vector<SortCriterion> criteria;
  SearchRequest search;  // its esearch/ret_* say whether RETURN (...) was given (ESORT)
};

// SORT's and THREAD's tail: a charset (US-ASCII or UTF-8, else
// bad_charset) then at least one search key, from args[first].
std::variant<SearchRequest, SearchError> parse_charset_and_keys(const std::vector<Value>& args, size_t first);

// The arguments after "SORT" / "UID SORT" at args[first]:
//   [RETURN (options)] (criteria) charset search-key...
std::variant<SortRequest, SearchError> parse_sort(const std::vector<Value>& args, size_t first);

// RFC 5256 2.1 on a subject already decoded to UTF-8 (encoded words undone),
// upper-cased in ASCII for i;ascii-casemap comparison. *reply_or_forward
// (when given) says whether a "Re:", "Fwd:", "(fwd)" or "[Fwd: ...]" came
// off, which THREAD=REFERENCES asks.
std::string base_subject(std::string_view subject, bool* reply_or_forward = nullptr);

}  // namespace tern::imap
