// Tests for close_later(): a descriptor handed over is closed by the
// closing thread (the other end of a pipe then reads EOF), in this process
// and in a forked child, which starts a thread of its own.
#include "base/deferred_close.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

// Whether the write end of the pipe whose read end is `rd` is closed
// everywhere: a read then sees EOF (nothing was written); while it is
// open, the non-blocking read fails instead of waiting.
bool writer_closed(int rd) {
  char c;
  return ::read(rd, &c, 1) == 0;
}

TEST(DeferredClose, HandedOverDescriptorsAreClosed) {
  int first[2], second[2];
  ASSERT_EQ(::pipe2(first, O_NONBLOCK), 0);
  ASSERT_EQ(::pipe2(second, O_NONBLOCK), 0);
  tern::UniqueFd r1(first[0]), r2(second[0]);
  tern::fs::close_later(tern::UniqueFd(first[1]));
  tern::fs::close_later(tern::UniqueFd(second[1]));
  tern::fs::close_later(tern::UniqueFd());  // nothing to close: ignored
  tern::fs::drain_closes();
  EXPECT_TRUE(writer_closed(r1.get()));
  EXPECT_TRUE(writer_closed(r2.get()));
}

TEST(DeferredClose, AForkedChildClosesWithAThreadOfItsOwn) {
  tern::fs::close_later(tern::UniqueFd(::dup(0)));  // the parent's thread runs
  tern::fs::drain_closes();
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int p[2];
    if (::pipe2(p, O_NONBLOCK) != 0) ::_exit(2);
    tern::fs::close_later(tern::UniqueFd(p[1]));
    tern::fs::drain_closes();
    ::_exit(writer_closed(p[0]) ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
