// RenameLog: the folder renames made in this process, kept a little while
// so that IMAP NOTIFY can report a rename as one (RFC 5465 5.4: LIST with
// OLDNAME) rather than as a folder gone and another come. A listing of
// the folders cannot tell the two apart. Bounded (kKept renames in all);
// a reader that fell further behind sees the older ones as gone and new.
// Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tern::store {

class RenameLog {
 public:
  static constexpr size_t kKept = 256;
  static RenameLog& process() {
    static RenameLog log;
    return log;
  }
  // A folder of the account at root was renamed (its children with it).
  void record(std::string_view root, std::string_view from, std::string_view to) {
    std::lock_guard<std::mutex> g(mu_);
    entries_.push_back({++last_, std::string(root), std::string(from), std::string(to)});
    if (entries_.size() > kKept) entries_.pop_front();
  }
  // The renames in root after *cursor, oldest first; *cursor moves past
  // every rename recorded so far (kFromNow: nothing returned, a start).
  static constexpr uint64_t kFromNow = UINT64_MAX;
  std::vector<std::pair<std::string, std::string>> since(std::string_view root, uint64_t* cursor) {
    std::lock_guard<std::mutex> g(mu_);
    std::vector<std::pair<std::string, std::string>> out;
    if (*cursor != kFromNow)
      for (const auto& e : entries_)
        if (e.seq > *cursor && e.root == root) out.emplace_back(e.from, e.to);
    *cursor = last_;
    return out;
  }

 private:
  struct Entry {
    uint64_t seq;
    std::string root, from, to;
  };
  std::mutex mu_;
  std::deque<Entry> entries_;
  uint64_t last_ = 0;
};

}  // namespace tern::store
