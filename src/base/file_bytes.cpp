// Implementation of FileBytes (see file_bytes.h).
#include "base/file_bytes.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include "base/fs.h"

namespace tern::fs {

FileBytes::~FileBytes() { release(); }

FileBytes::FileBytes(FileBytes&& o) noexcept : heap_(std::move(o.heap_)), map_(o.map_), size_(o.size_) {
  o.map_ = nullptr;
  o.size_ = 0;
}

FileBytes& FileBytes::operator=(FileBytes&& o) noexcept {
  if (this != &o) {
    release();
    heap_ = std::move(o.heap_);
    map_ = o.map_;
    size_ = o.size_;
    o.map_ = nullptr;
    o.size_ = 0;
  }
  return *this;
}

void FileBytes::release() {
  if (map_) ::munmap(map_, size_);
  map_ = nullptr;
  size_ = 0;
}

Result<FileBytes> FileBytes::load(const std::string& path, bool follow, size_t map_from, size_t max_bytes) {
  auto fd = open_read(path, follow);
  if (!fd) return fd.error();
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return errno_error("fstat", path, errno);
  auto size = static_cast<size_t>(st.st_size);
  if (size > max_bytes) return Error::perm(fmt::format("{}: larger than {} bytes", path, max_bytes));
  FileBytes out;
  if (size <= map_from || size == 0) {
    auto bytes = read_file(path, max_bytes, follow);
    if (!bytes) return bytes.error();
    out.heap_ = std::move(*bytes);
    return out;
  }
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd->get(), 0);
  if (p == MAP_FAILED) return errno_error("mmap", path, errno);
  out.map_ = p;
  out.size_ = size;
  return out;
}

}  // namespace tern::fs
