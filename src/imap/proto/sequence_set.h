// IMAP sequence sets (RFC 3501 section 9 sequence-set, RFC 5182 "$"):
// "1:5,7,*", "5:1" (the same as 1:5), "*:4", "$" (the saved search result).
// The numbers are message sequence numbers or UIDs, as the command says;
// the set does not know which. "*" stays symbolic until resolve() is given
// the largest number in use.
//
// SECURITY: from the network. 0 and numbers above 4294967295 are refused;
// the number of ranges is bounded by max_ranges; resolve() sorts and merges,
// so "1:4294967295" costs one range, never four billion numbers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tern::imap {

struct SeqRange {
  static constexpr uint32_t star = 0;  // "*": 0 is never a valid number
  uint32_t first = 0;
  uint32_t last = 0;  // as sent: may be below first (5:1), or star
};

struct SequenceSet {
  std::vector<SeqRange> ranges;
  bool saved = false;  // "$": the result of the last SEARCH ... RETURN (SAVE)

  // Sorted, merged, ascending ranges with "*" as max_number; ranges wholly
  // above max_number are dropped and ranges crossing it are clipped, except
  // that "*" in an empty mailbox (max 0) yields nothing.
  std::vector<std::pair<uint32_t, uint32_t>> resolve(uint32_t max_number) const;
  bool contains(uint32_t n, uint32_t max_number) const;
};

// Parses "1:5,7,*" or "$". Returns nullopt on bad syntax, 0, overflow, or
// more than max_ranges ranges.
std::optional<SequenceSet> parse_sequence_set(std::string_view s, size_t max_ranges = 100000);

// The compact form of numbers, in their order, runs of consecutive
// ascending ones joined: {1,2,3,5} -> "1:3,5", {5,1,2} -> "5,1:2"
// (COPYUID, ESEARCH ALL, and ESORT's ALL in sort order). Empty gives "".
std::string format_sequence_set(const std::vector<uint32_t>& ascending);

}  // namespace tern::imap
