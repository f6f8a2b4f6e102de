// FileBytes: a whole file's bytes held for a while, read into memory when
// small and mapped (read-only, shared) when large, so that thousands of
// messages waiting for their remote deliveries (scheduler.h) hold page
// cache rather than copies. Mapping is safe for tern's queue files: they
// are only appended to and have single bytes flipped, never truncated.
//
// A large file up to 1 MiB is still read into memory while the process's
// copies of such files stay under a budget (64 MiB): unmapping costs every
// other core a TLB flush (an interrupt each, dear in a VM), which perf put
// at an eighth of tern's CPU when relaying 100 KiB messages one after
// another. Past the budget (many large messages held at once), and for
// files above 1 MiB (where one flush is small beside the copy), they are
// mapped.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"

namespace tern::fs {

class FileBytes {
 public:
  FileBytes() = default;
  ~FileBytes();
  FileBytes(FileBytes&& o) noexcept;
  FileBytes& operator=(FileBytes&& o) noexcept;
  FileBytes(const FileBytes&) = delete;
  FileBytes& operator=(const FileBytes&) = delete;

  static constexpr size_t kHeapBudget = size_t{64} << 20;
  static constexpr size_t kCopyUpTo = size_t{1} << 20;

  // follow=false refuses a symlink (queue files). Files above map_from
  // bytes are mapped unless they are at most kCopyUpTo and the copies of
  // such files the process holds stay within heap_budget with this one;
  // larger than max_bytes is an error.
  static Result<FileBytes> load(const std::string& path, bool follow = false, size_t map_from = 64 * 1024,
                                size_t max_bytes = size_t{1} << 31, size_t heap_budget = kHeapBudget);
  std::string_view view() const { return map_ ? std::string_view(static_cast<const char*>(map_), size_) : heap_; }
  bool mapped() const { return map_ != nullptr; }
  // Bytes of files above their map_from held in memory now, process-wide.
  static size_t large_copies_held();

 private:
  void release();
  std::string heap_;
  void* map_ = nullptr;
  size_t size_ = 0;
  size_t counted_ = 0;  // this copy's share of large_copies_held()
};

}  // namespace tern::fs
