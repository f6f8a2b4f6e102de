// SELECT and EXAMINE parameters (RFC 4466 select-params): "(CONDSTORE)"
// and "(QRESYNC (uidvalidity modseq [known-uids [(known-seqs known-uids)]]))"
// of RFC 7162 3.1.8 and 3.2.5. The sequence-match data is checked for
// syntax and otherwise unused (the server may ignore it).
//
// SECURITY: from the network; numbers and sets are bounded by the
// sequence-set parser; unknown parameters are refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "imap/proto/sequence_set.h"
#include "imap/proto/value.h"

namespace tern::imap {

struct QresyncParams {
  uint32_t uidvalidity = 0;
  uint64_t modseq = 0;
  std::optional<SequenceSet> known_uids;  // none: every UID
};

struct SelectParams {
  bool condstore = false;
  std::optional<QresyncParams> qresync;
};

// The arguments after the mailbox name (args[first..]); a BAD text on error.
std::variant<SelectParams, std::string> parse_select_params(const std::vector<Value>& args, size_t first);

}  // namespace tern::imap
