// Tests for the queue lock and the pid file: one holder at a time, and a
// link planted at queue_directory/pid is replaced, never written through.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "roles/pid_file.h"

namespace {

std::string make_dir() {
  std::string t = (std::filesystem::temp_directory_path() / "tern-pid-XXXXXX").string();
  return ::mkdtemp(t.data());
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(PidFile, OneLockHolder) {
  std::string dir = make_dir();
  auto first = tern::roles::lock_queue(dir);
  ASSERT_TRUE(first) << first.error().detail;
  auto second = tern::roles::lock_queue(dir);  // a new open file description: flock conflicts
  ASSERT_FALSE(second);
  EXPECT_TRUE(second.error().is_temporary());
  EXPECT_NE(second.error().detail.find("already running"), std::string::npos);
  first->reset();
  EXPECT_TRUE(tern::roles::lock_queue(dir));
  EXPECT_FALSE(tern::roles::lock_queue(dir + "/missing"));
  std::filesystem::remove_all(dir);
}

TEST(PidFile, PlantedLinksAreReplacedNotFollowed) {
  std::string dir = make_dir();
  std::string victim = dir + "/victim";
  std::ofstream(victim) << "precious\n";
  std::string pid = tern::roles::pid_file(dir);
  ASSERT_EQ(::symlink(victim.c_str(), pid.c_str()), 0);
  ASSERT_TRUE(tern::roles::write_pid_file(dir));
  struct stat st;
  ASSERT_EQ(::lstat(pid.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(slurp(pid), std::to_string(::getpid()) + "\n");
  EXPECT_EQ(slurp(victim), "precious\n");
  ::unlink(pid.c_str());
  ASSERT_EQ(::link(victim.c_str(), pid.c_str()), 0);
  ASSERT_TRUE(tern::roles::write_pid_file(dir));
  EXPECT_EQ(slurp(victim), "precious\n");
  EXPECT_EQ(slurp(pid), std::to_string(::getpid()) + "\n");
  std::filesystem::remove_all(dir);
}
