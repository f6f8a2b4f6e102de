// Listing a directory that is already open, cheaply: a mail folder is
// listed again at almost every IMAP command that follows a change, and
// opendir() on it would cost an open, three fcntl/fstat calls, a close and
// a 32 KiB allocation each time. This reads the open descriptor from its
// start (lseek, then getdents64 into a buffer of the calling thread), so a
// listing of a few hundred names is two or three system calls.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace tern::fs {

// Calls fn(name, d_type) for every entry of the directory open as dir_fd,
// "." and ".." left out; d_type is DT_UNKNOWN on file systems that do not
// tell (the caller then stats the name). path is only for error messages.
// fn must not list a directory itself (the buffer is the thread's).
template <typename Fn>
Status for_each_dir_entry(int dir_fd, const std::string& path, Fn&& fn);

// The untyped core of for_each_dir_entry.
using DirEntryFn = void (*)(void* ctx, std::string_view name, unsigned char d_type);
Status list_dir_entries(int dir_fd, const std::string& path, DirEntryFn fn, void* ctx);

template <typename Fn>
Status for_each_dir_entry(int dir_fd, const std::string& path, Fn&& fn) {
  return list_dir_entries(
      dir_fd, path,
      [](void* ctx, std::string_view name, unsigned char d_type) { (*static_cast<Fn*>(ctx))(name, d_type); }, &fn);
}

}  // namespace tern::fs
