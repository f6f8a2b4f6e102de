// Tests for child processes: a delivery command inherits no descriptor of
// the daemon's but its stdin/stdout/stderr (Asio's sockets are not
// close-on-exec; a command holding them would keep port 25 after tern), and
// runs with the groups of the user it runs as.
#include "base/child.h"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <vector>

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

// A command run as another user has exactly that user's groups: its own and
// its supplementary ones (read before the fork), none of the daemon's.
TEST(Child, CommandRunsWithTheUsersGroupsOnly) {
  if (::geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  struct passwd* pw = ::getpwnam("nobody");
  if (!pw) GTEST_SKIP() << "no user nobody here";
  tern::child::CommandSpec spec;
  spec.command = "/usr/bin/id -G";
  spec.env = {"PATH=/usr/bin:/bin"};
  spec.identity = tern::child::Identity{pw->pw_uid, pw->pw_gid, "nobody"};
  // The daemon's own supplementary groups, marked, must not reach the command.
  std::vector<gid_t> mine(static_cast<size_t>(std::max(::getgroups(0, nullptr), 0)));
  ASSERT_GE(::getgroups(static_cast<int>(mine.size()), mine.data()), 0);
  const gid_t marker = 4242;
  ASSERT_EQ(::setgroups(1, &marker), 0);
  auto r = tern::child::run_command(spec);
  ASSERT_EQ(::setgroups(mine.size(), mine.data()), 0);
  ASSERT_TRUE(r.ok()) << r.error().detail;
  ASSERT_EQ(r->exit_code, 0) << r->output;
  std::vector<gid_t> want(64);
  int n = static_cast<int>(want.size());
  ASSERT_GE(::getgrouplist("nobody", pw->pw_gid, want.data(), &n), 0);
  want.resize(static_cast<size_t>(n));
  std::set<gid_t> expected(want.begin(), want.end()), got;
  std::istringstream words(r->output);
  for (long g; words >> g;) got.insert(static_cast<gid_t>(g));
  EXPECT_EQ(got, expected) << r->output;
  if (pw->pw_gid != marker) {
    EXPECT_EQ(got.count(marker), 0u) << "the daemon's group stayed with the command";
  }
}
