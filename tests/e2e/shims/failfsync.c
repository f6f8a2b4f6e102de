/* LD_PRELOAD shim for tests: while the file named by $TERN_FAIL_FSYNC_FLAG
 * exists, fsync() and fdatasync() on files under $TERN_FAIL_FSYNC_PREFIX fail
 * with EIO, as a dying disk would report (RELIABILITY.md #32). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int should_fail(int fd) {
  const char* flag = getenv("TERN_FAIL_FSYNC_FLAG");
  const char* prefix = getenv("TERN_FAIL_FSYNC_PREFIX");
  if (!flag || !prefix || access(flag, F_OK) != 0) return 0;
  char link[64], path[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0) return 0;
  path[n] = 0;
  return strncmp(path, prefix, strlen(prefix)) == 0;
}

int fsync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  if (should_fail(fd)) {
    errno = EIO;
    return -1;
  }
  return real(fd);
}

int fdatasync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  if (should_fail(fd)) {
    errno = EIO;
    return -1;
  }
  return real(fd);
}
