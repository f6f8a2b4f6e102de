// for_each_dir_entry (see dir_entries.h): lseek + getdents64.
#include "base/dir_entries.h"

#include <dirent.h>
#include <errno.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>

#include "base/fs.h"

namespace tern::fs {

Status list_dir_entries(int dir_fd, const std::string& path, DirEntryFn fn, void* ctx) {
  // 32 KiB holds about 500 Maildir names per call; one buffer per thread.
  alignas(8) static thread_local char buf[32 * 1024];
  if (::lseek(dir_fd, 0, SEEK_SET) != 0) return errno_error("read directory", path, errno);
  for (;;) {
    ssize_t n = ::getdents64(dir_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read directory", path, errno);
    if (n == 0) return ok_status();
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
