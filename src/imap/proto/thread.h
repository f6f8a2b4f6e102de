// THREAD (RFC 5256 section 3): ORDEREDSUBJECT and REFERENCES over what the
// server read of each message, giving the thread list of the response,
// "(3 6 (4 23)(44 7 96))". Pure: the header values come from the caller.
//
// SECURITY: the Message-IDs and references are message bytes, chosen by
// anyone who sends mail: duplicates, loops and self-references are cut as
// RFC 5256 says, references per message are capped (kMaxReferences), and
// every walk is iterative or bounded by the tree's size.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "imap/proto/search.h"

namespace tern::imap {

inline constexpr size_t kMaxReferences = 100;  // of one message (the last ones are kept)

struct ThreadMessage {
  uint32_t number = 0;                  // as the response names it: sequence number or UID
  std::string message_id;               // without "<>"; "" when it has none
  std::vector<std::string> references;  // References:, else In-Reply-To:'s first id; oldest first
  std::string base_subject;             // base_subject() of its Subject:
  bool reply = false;                   // base_subject took a "Re:"/"Fwd:" off
  int64_t date = 0;                     // the sent date (Date:, else INTERNALDATE)
};

enum class ThreadAlgorithm { ordered_subject, references };

// msgs in mailbox order. The thread list without the leading "THREAD ".
std::string thread_list(const std::vector<ThreadMessage>& msgs, ThreadAlgorithm algorithm);

struct ThreadRequest {
  ThreadAlgorithm algorithm = ThreadAlgorithm::references;
  SearchRequest search;
};

// The arguments after "THREAD" / "UID THREAD" at args[first]:
//   algorithm charset search-key...
std::variant<ThreadRequest, SearchError> parse_thread(const std::vector<Value>& args, size_t first);

// The msg-ids of a Message-ID, References or In-Reply-To value: the inside
// of each "<...>", in order (at most max of them, the last ones).
std::vector<std::string> message_ids(std::string_view value, size_t max = kMaxReferences);

}  // namespace tern::imap
