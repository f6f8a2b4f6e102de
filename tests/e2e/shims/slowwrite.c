/* LD_PRELOAD shim for tests: write() to a file whose path starts with
 * $TERN_SLOW_WRITE_PREFIX writes at most 4 KiB per call and then sleeps
 * $TERN_SLOW_WRITE_US microseconds, so a large append takes long enough
 * for a test to kill the writer in the middle of it (RELIABILITY.md #39).
 * Callers that loop on short writes, as write(2) allows, see no error. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int is_slow(int fd) {
  const char* prefix = getenv("TERN_SLOW_WRITE_PREFIX");
  if (!prefix) return 0;
  char link[64], path[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0) return 0;
  path[n] = 0;
  return strncmp(path, prefix, strlen(prefix)) == 0;
}

ssize_t write(int fd, const void* buf, size_t count) {
  static ssize_t (*real)(int, const void*, size_t);
  if (!real) real = (ssize_t(*)(int, const void*, size_t))dlsym(RTLD_NEXT, "write");
  if (!is_slow(fd)) return real(fd, buf, count);
  const char* us = getenv("TERN_SLOW_WRITE_US");
  ssize_t n = real(fd, buf, count > 4096 ? 4096 : count);
  usleep(us ? (useconds_t)atoi(us) : 10000);
  return n;
}
