// for_each_dir_entry (see dir_entries.h): lseek + getdents64.
#include "base/dir_entries.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <vector>

#include <cstddef>
#include <cstring>

#include "base/fs.h"

namespace tern::fs {

Status list_dir_entries(int dir_fd, const std::string& path, DirEntryFn fn, void* ctx, DirListing* listing) {
  // 32 KiB holds about 500 Maildir names per call; one buffer per thread,
  // and a larger one, for this listing only, for a directory whose size
  // says it may need more. st_size counts the directory's blocks on ext4
  // (entries of 8 bytes plus the name), 20 bytes per entry on tmpfs; a
  // dirent64 is 19 bytes plus the name, rounded to 8: four times st_size
  // covers both.
  // The thread keeps a buffer of up to kKept for the next listing (a few
  // hundred to a few thousand names); a larger one is for this listing only.
  constexpr size_t kSmall = 32 * 1024, kKept = 256 * 1024;
  static thread_local std::vector<char> kept;
  std::unique_ptr<char[]> large;
  size_t size = kSmall;
  // A caller that knows what the directory needs (the bytes its last
  // listing took) spares the stat.
  struct stat st;
  if (listing && listing->min_buffer > 0) {
    size = std::max(size, std::min(listing->min_buffer, kMaxOneCallBytes));
  } else if (::fstat(dir_fd, &st) == 0 && static_cast<uint64_t>(st.st_size) * 4 + 4096 > kSmall) {
    size = std::min<uint64_t>(static_cast<uint64_t>(st.st_size) * 4 + 4096, kMaxOneCallBytes);
  }
  char* buf = nullptr;
  if (size <= kKept) {
    if (kept.size() < size) kept.resize(size);
    buf = kept.data();
    size = kept.size();
  } else {
    large.reset(new char[size]);
    buf = large.get();
  }
  if (listing) listing->calls = listing->bytes = 0;
  if (::lseek(dir_fd, 0, SEEK_SET) != 0) return errno_error("read directory", path, errno);
  for (;;) {
    ssize_t n = ::getdents64(dir_fd, buf, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read directory", path, errno);
    if (n == 0) return ok_status();
    if (listing) {
      ++listing->calls;
      listing->bytes += static_cast<size_t>(n);
    }
    for (ssize_t off = 0; off < n;) {
      dirent64 e;
      // Copy the fixed part out: the records are packed, not aligned for the struct.
      std::memcpy(&e, buf + off, offsetof(dirent64, d_name));
      if (e.d_reclen <= offsetof(dirent64, d_name) || off + e.d_reclen > n)
        return Error::temp("read directory " + path + ": malformed entry from the kernel");
      const char* name = buf + off + offsetof(dirent64, d_name);
      off += e.d_reclen;
      std::string_view sv(name, ::strnlen(name, e.d_reclen - offsetof(dirent64, d_name)));
      if (sv == "." || sv == "..") continue;
      fn(ctx, sv, e.d_type);
    }
  }
}

}  // namespace tern::fs
