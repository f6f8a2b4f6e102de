// FileBytes: a whole file's bytes held for a while, read into memory when
// small and mapped (read-only, shared) when large, so that thousands of
// messages waiting for their remote deliveries (scheduler.h) hold page
// cache rather than copies. Mapping is safe for tern's queue files: they
// are only appended to and have single bytes flipped, never truncated.
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

  // follow=false refuses a symlink (queue files). Files above map_from
  // bytes are mapped; larger than max_bytes is an error.
  static Result<FileBytes> load(const std::string& path, bool follow = false, size_t map_from = 64 * 1024,
                                size_t max_bytes = size_t{1} << 31);
  std::string_view view() const { return map_ ? std::string_view(static_cast<const char*>(map_), size_) : heap_; }

 private:
  void release();
  std::string heap_;
  void* map_ = nullptr;
  size_t size_ = 0;
};

}  // namespace tern::fs
