// The ADDTO/REMOVEFROM diff of RFC 5267 contexts (context_update.h). For a
// SORT context the numbers that stay are the longest run of the old result
// still in the new order (a longest increasing subsequence of their new
// positions, O(n log n)); the rest of the old result goes, then what the
// new one has beyond them comes in, each run at its position.
#include "imap/proto/context_update.h"

#include <algorithm>
#include <iterator>
#include <unordered_map>
#include <unordered_set>

#include "imap/proto/sequence_set.h"

namespace tern::imap {
namespace {

// Indices into `seq` of one longest strictly increasing subsequence.
std::vector<size_t> longest_increasing(const std::vector<size_t>& seq) {
  std::vector<size_t> tails;         // index into seq of the smallest tail of each length
  std::vector<size_t> prev(seq.size(), SIZE_MAX);
  for (size_t i = 0; i < seq.size(); ++i) {
    auto it = std::lower_bound(tails.begin(), tails.end(), seq[i], [&](size_t t, size_t v) { return seq[t] < v; });
    if (it != tails.begin()) prev[i] = *std::prev(it);
    if (it == tails.end()) tails.push_back(i);
    else *it = i;
  }
  std::vector<size_t> out;
  for (size_t i = tails.empty() ? SIZE_MAX : tails.back(); i != SIZE_MAX; i = prev[i]) out.push_back(i);
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<ContextChange> unordered_changes(const std::vector<uint32_t>& before, const std::vector<uint32_t>& after) {
  std::vector<ContextChange> out;
  ContextChange gone{false, 0, {}}, came{true, 0, {}};
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(), std::back_inserter(gone.numbers));
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(), std::back_inserter(came.numbers));
  if (!gone.numbers.empty()) out.push_back(std::move(gone));
  if (!came.numbers.empty()) out.push_back(std::move(came));
  return out;
}

}  // namespace

std::vector<ContextChange> context_changes(const std::vector<uint32_t>& before, const std::vector<uint32_t>& after,
                                           bool sorted) {
  if (!sorted) return unordered_changes(before, after);
  std::unordered_map<uint32_t, size_t> where;  // number -> its index in after
  where.reserve(after.size());
  for (size_t j = 0; j < after.size(); ++j) where.emplace(after[j], j);
  std::vector<size_t> in_before, positions;  // of the numbers in both lists
  for (size_t i = 0; i < before.size(); ++i)
    if (auto it = where.find(before[i]); it != where.end()) {
      in_before.push_back(i);
      positions.push_back(it->second);
    }
  std::vector<bool> stays(before.size(), false);
  std::unordered_set<uint32_t> staying;
  for (size_t k : longest_increasing(positions)) {
    stays[in_before[k]] = true;
    staying.insert(before[in_before[k]]);
  }
  std::vector<ContextChange> out;
  size_t removed = 0;
  for (size_t i = 0; i < before.size();) {
    if (stays[i]) {
      ++i;
      continue;
    }
    ContextChange c{false, static_cast<uint32_t>(i - removed + 1), {}};
    for (; i < before.size() && !stays[i]; ++i) c.numbers.push_back(before[i]);
    removed += c.numbers.size();
    out.push_back(std::move(c));
  }
  for (size_t j = 0; j < after.size();) {
    if (staying.count(after[j])) {
      ++j;
      continue;
    }
    ContextChange c{true, static_cast<uint32_t>(j + 1), {}};
    for (; j < after.size() && !staying.count(after[j]); ++j) c.numbers.push_back(after[j]);
    out.push_back(std::move(c));
  }
  return out;
}

std::string context_change_items(const std::vector<ContextChange>& changes) {
  std::string out;
  for (size_t i = 0; i < changes.size();) {
    bool add = changes[i].add;
    out += add ? " ADDTO (" : " REMOVEFROM (";
    for (size_t first = i; i < changes.size() && changes[i].add == add; ++i) {
      if (i != first) out += ' ';
      out += std::to_string(changes[i].position) + ' ' + format_sequence_set(changes[i].numbers);
    }
    out += ')';
  }
  return out;
}

}  // namespace tern::imap
