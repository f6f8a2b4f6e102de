// Listing a directory that is already open, cheaply: a mail folder is
// listed again at almost every IMAP command that follows a change, and
// opendir() on it would cost an open, three fcntl/fstat calls, a close and
// a 32 KiB allocation each time. This reads the open descriptor from its
// start (lseek, then getdents64 into a buffer of the calling thread), so a
// listing of a few hundred names is two or three system calls.
//
// One getdents64 call is atomic against renames in the directory (the
// kernel holds the directory's lock for it); a listing in several calls is
// not: a file renamed between two of them can be missed. So the buffer is
// made large enough for the whole directory by its size (up to
// kMaxOneCallBytes), and DirListing says how many calls it took and how
// many bytes the kernel returned, so that a caller can list again with a
// buffer that fits (some file systems give a directory a size that says
// nothing of its entries).
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace tern::fs {

// Calls fn(name, d_type) for every entry of the directory open as dir_fd,
// "." and ".." left out; d_type is DT_UNKNOWN on file systems that do not
// tell (the caller then stats the name). path is only for error messages.
// fn must not list a directory itself (the buffer is the thread's).
struct DirListing;
template <typename Fn>
Status for_each_dir_entry(int dir_fd, const std::string& path, Fn&& fn, DirListing* listing = nullptr);

// The largest buffer a listing takes to read a directory in one call.
inline constexpr size_t kMaxOneCallBytes = 4u << 20;

// What one listing took (out), and the buffer it must use at least (in,
// capped at kMaxOneCallBytes; when set, the directory is not stat'ed for
// its size).
struct DirListing {
  size_t min_buffer = 0;
  size_t calls = 0;
  size_t bytes = 0;
};

// The untyped core of for_each_dir_entry.
using DirEntryFn = void (*)(void* ctx, std::string_view name, unsigned char d_type);
Status list_dir_entries(int dir_fd, const std::string& path, DirEntryFn fn, void* ctx, DirListing* listing);

template <typename Fn>
Status for_each_dir_entry(int dir_fd, const std::string& path, Fn&& fn, DirListing* listing) {
  return list_dir_entries(
      dir_fd, path,
      [](void* ctx, std::string_view name, unsigned char d_type) { (*static_cast<Fn*>(ctx))(name, d_type); }, &fn,
      listing);
}

}  // namespace tern::fs
