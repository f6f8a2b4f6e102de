// Parsing, resolving and formatting IMAP sequence sets (sequence_set.h).
#include "imap/proto/sequence_set.h"

#include <algorithm>

#include "imap/proto/chars.h"

namespace tern::imap {

namespace {

bool parse_seq_number(std::string_view s, uint32_t& out) {
  if (s == "*") {
    out = SeqRange::star;
    return true;
  }
  uint64_t v = 0;
  if (s.size() > 1 && s[0] == '0') return false;  // nz-number: no leading zero
  if (!parse_uint(s, UINT32_MAX, v) || v == 0) return false;
  out = static_cast<uint32_t>(v);
  return true;
}

}  // namespace

std::optional<SequenceSet> parse_sequence_set(std::string_view s, size_t max_ranges) {
  SequenceSet set;
  if (s == "$") {
    set.saved = true;
    return set;
  }
  if (s.empty()) return std::nullopt;
  size_t start = 0;
  for (;;) {
    size_t comma = s.find(',', start);
    std::string_view item = s.substr(start, comma == std::string_view::npos ? s.npos : comma - start);
    SeqRange r;
    size_t colon = item.find(':');
    if (colon == std::string_view::npos) {
      if (!parse_seq_number(item, r.first)) return std::nullopt;
      r.last = r.first;
    } else if (!parse_seq_number(item.substr(0, colon), r.first) ||
               !parse_seq_number(item.substr(colon + 1), r.last)) {
      return std::nullopt;
    }
    if (set.ranges.size() >= max_ranges) return std::nullopt;
    set.ranges.push_back(r);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return set;
}

std::vector<std::pair<uint32_t, uint32_t>> SequenceSet::resolve(uint32_t max_number) const {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  if (max_number == 0) return out;
  for (const auto& r : ranges) {
    uint32_t a = r.first == SeqRange::star ? max_number : r.first;
    uint32_t b = r.last == SeqRange::star ? max_number : r.last;
    if (a > b) std::swap(a, b);
    if (a > max_number) continue;  // RFC 9051 6.4.8: UIDs above the largest match nothing...
    out.emplace_back(a, std::min(b, max_number));
  }
  std::sort(out.begin(), out.end());
  std::vector<std::pair<uint32_t, uint32_t>> merged;
  for (const auto& r : out) {
    if (!merged.empty() && static_cast<uint64_t>(merged.back().second) + 1 >= r.first)
      merged.back().second = std::max(merged.back().second, r.second);
    else
      merged.push_back(r);
  }
  return merged;
}

bool SequenceSet::contains(uint32_t n, uint32_t max_number) const {
  for (const auto& r : ranges) {
    uint32_t a = r.first == SeqRange::star ? max_number : r.first;
    uint32_t b = r.last == SeqRange::star ? max_number : r.last;
    if (a > b) std::swap(a, b);
    if (n >= a && n <= b) return true;
  }
  return false;
}

std::string format_sequence_set(const std::vector<uint32_t>& ascending) {
  std::string out;
  size_t i = 0;
  while (i < ascending.size()) {
    size_t j = i;
    while (j + 1 < ascending.size() && ascending[j + 1] == ascending[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(ascending[i]);
    if (j > i) out += ':' + std::to_string(ascending[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace tern::imap
