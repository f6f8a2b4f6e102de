/* LD_PRELOAD shim for tests: while the file named by $TERN_CROSSOFF_KILL_FLAG
 * exists, the first cross-off of a recipient in a queue file (a one-byte
 * pwrite of 'D', queue/reader.cpp mark_done) kills the process with SIGKILL
 * before it writes, so a test can crash tern between the commit of a bounce
 * and the cross-off of the recipients it reports (scheduler/bouncer.h). The
 * flag file is removed first, so the restarted process runs normally. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

static void maybe_die(const void* buf, size_t count) {
  const char* flag = getenv("TERN_CROSSOFF_KILL_FLAG");
  if (!flag || count != 1 || ((const char*)buf)[0] != 'D' || access(flag, F_OK) != 0) return;
  unlink(flag);
  raise(SIGKILL);
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  static ssize_t (*real)(int, const void*, size_t, off_t);
  if (!real) real = (ssize_t(*)(int, const void*, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
  maybe_die(buf, count);
  return real(fd, buf, count, offset);
}

ssize_t pwrite64(int fd, const void* buf, size_t count, off_t offset) {
  static ssize_t (*real)(int, const void*, size_t, off_t);
  if (!real) real = (ssize_t(*)(int, const void*, size_t, off_t))dlsym(RTLD_NEXT, "pwrite64");
  maybe_die(buf, count);
  return real(fd, buf, count, offset);
}
