// Tests for child processes: a delivery command inherits no descriptor of
// the daemon's but its stdin/stdout/stderr (Asio's sockets are not
// close-on-exec; a command holding them would keep port 25 after tern).
#include "base/child.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

TEST(Child, CommandInheritsNoOtherDescriptor) {
  int leaked = ::fcntl(::open("/dev/null", O_RDONLY), F_DUPFD, 100);  // not close-on-exec, like a socket
  ASSERT_GE(leaked, 100);
  tern::child::CommandSpec spec;
  spec.command = "/bin/ls /proc/self/fd";
  spec.env = {"PATH=/usr/bin:/bin"};
  auto r = tern::child::run_command(spec);
  ::close(leaked);
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r->exit_code, 0) << r->output;
  EXPECT_EQ(r->output.find(std::to_string(leaked)), std::string::npos) << r->output;
  EXPECT_NE(r->output.find('2'), std::string::npos) << r->output;  // stderr is there
}
