/* LD_PRELOAD shim for tests: while the file named by $TERN_FAIL_FSYNC_FLAG
 * exists, fsync() and fdatasync() on files under $TERN_FAIL_FSYNC_PREFIX fail
 * with EIO, as a dying disk would report (RELIABILITY.md #32).
 * Optional, to aim at one fsync:
 *   TERN_FAIL_FSYNC_DIRS=1   only directories fail (files sync normally);
 *   TERN_FAIL_FSYNC_ONCE=1   only the first matching fsync fails (the flag
 *                            file is removed when it does);
 *   TERN_FAIL_FSYNC_GATE=P   the failing fsync first creates P.entered, then
 *                            waits (up to 60 s) until P exists, so a test can
 *                            act while that fsync is in progress. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int claimed;

static int should_fail(int fd) {
  const char* flag = getenv("TERN_FAIL_FSYNC_FLAG");
  const char* prefix = getenv("TERN_FAIL_FSYNC_PREFIX");
  if (!flag || !prefix || access(flag, F_OK) != 0) return 0;
  char link[64], path[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0) return 0;
  path[n] = 0;
  if (strncmp(path, prefix, strlen(prefix)) != 0) return 0;
  struct stat st;
  if (getenv("TERN_FAIL_FSYNC_DIRS") && (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode))) return 0;
  if (getenv("TERN_FAIL_FSYNC_ONCE")) {
    if (!__sync_bool_compare_and_swap(&claimed, 0, 1)) return 0;
    unlink(flag);
  }
  const char* gate = getenv("TERN_FAIL_FSYNC_GATE");
  if (gate) {
    char entered[4096];
    snprintf(entered, sizeof entered, "%s.entered", gate);
    close(open(entered, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    struct timespec tick = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 6000 && access(gate, F_OK) != 0; ++i) nanosleep(&tick, NULL);
  }
  return 1;
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
