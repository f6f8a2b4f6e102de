// The bounds every function of this module keeps on a hostile message
// (RELIABILITY.md #24: MIME nesting 101 deep, 20,000 sibling parts,
// 100,000 RFC 2231 parameters, a 3 KB boundary). Past a bound the structure
// is cut, never refused: the message stays readable, the part where the cut
// falls is reported as an opaque application/octet-stream leaf, and work
// stays linear in the message size times max_depth.
#pragma once

#include <cstddef>

namespace tern::mime {

// Multiparts and message/rfc822 parts nested deeper than this are leaves.
// Equal to imap::FetchLimits::max_part_depth, so every part a client can
// name in BODY[1.2.3...] exists in the structure. Also bounds the recursion
// of the splitter (one stack frame per level).
inline constexpr size_t max_depth = 100;
// Parts in one message, counted over all levels; the parts after it are
// left out of the structure (their bytes fall into the cut multipart's
// epilogue). Keeps BODYSTRUCTURE and the tree's memory bounded.
inline constexpr size_t max_parts = 10000;
// Parameters of one Content-Type or Content-Disposition handed to GMime;
// the value is cut before the next ';' (RFC 2231 continuations count one
// each). Real messages carry a few.
inline constexpr size_t max_params = 100;
// Bytes of a Content-* header value handed to GMime.
inline constexpr size_t max_header_value_bytes = 16 * 1024;
// A longer boundary (RFC 2046 allows 70) makes its multipart a leaf: no
// real mail has one, and each candidate delimiter line costs its length.
inline constexpr size_t max_boundary_bytes = 998;
// Header fields read per entity; more are ignored (not removed from the
// bytes a section returns).
inline constexpr size_t max_header_fields = 10000;
// Bytes of an address header's value handed to GMime's address parser.
inline constexpr size_t max_address_header_bytes = 64 * 1024;
// Addresses per ENVELOPE address list (groups and their members count).
inline constexpr size_t max_addresses = 1000;

}  // namespace tern::mime
