// Implementation of FileBytes (see file_bytes.h).
#include "base/file_bytes.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <atomic>

#include <fmt/format.h>

#include "base/fs.h"

namespace tern::fs {

namespace {
std::atomic<size_t> g_large_held{0};
}  // namespace

size_t FileBytes::large_copies_held() { return g_large_held.load(); }

FileBytes::~FileBytes() { release(); }

FileBytes::FileBytes(FileBytes&& o) noexcept
    : heap_(std::move(o.heap_)), map_(o.map_), size_(o.size_), counted_(o.counted_) {
  o.map_ = nullptr;
  o.size_ = 0;
  o.counted_ = 0;
}

FileBytes& FileBytes::operator=(FileBytes&& o) noexcept {
  if (this != &o) {
    release();
    heap_ = std::move(o.heap_);
    map_ = o.map_;
    size_ = o.size_;
    counted_ = o.counted_;
    o.map_ = nullptr;
    o.size_ = 0;
    o.counted_ = 0;
  }
  return *this;
}

void FileBytes::release() {
  if (map_) ::munmap(map_, size_);
  map_ = nullptr;
  size_ = 0;
  if (counted_) g_large_held.fetch_sub(counted_);
  counted_ = 0;
}

Result<FileBytes> FileBytes::load(const std::string& path, bool follow, size_t map_from, size_t max_bytes,
                                  size_t heap_budget) {
  auto fd = open_read(path, follow);
  if (!fd) return fd.error();
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return errno_error("fstat", path, errno);
  auto size = static_cast<size_t>(st.st_size);
  if (size > max_bytes) return Error::perm(fmt::format("{}: larger than {} bytes", path, max_bytes));
  FileBytes out;
  // A large file is copied only if the budget has room for all of it: the
  // share is taken before the read, so that threads loading at once cannot
  // all pass the check and overrun it together.
  bool copy = size <= map_from;
  if (!copy && size <= kCopyUpTo) {
    size_t held = g_large_held.load();
    while (held + size <= heap_budget && !g_large_held.compare_exchange_weak(held, held + size)) {
    }
    if (held + size <= heap_budget) {
      out.counted_ = size;
      copy = true;
    }
  }
  if (copy) {
    // From the descriptor already open and checked, not by path again.
    auto bytes = read_fd(fd->get(), path, max_bytes);
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
