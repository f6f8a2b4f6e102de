// Tests for the log facade: one event is one line whatever its fields hold,
// and maillog_file is never opened through a symlink or a hard link.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "base/log.h"

using namespace tern;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/tern-log-test-XXXXXX";
    path = ::mkdtemp(t);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

TEST(LogFacade, OneEventIsOneLine) {
  TempDir d;
  std::string file = d.path + "/maillog";
  ASSERT_TRUE(log::configure(file, "tern/test"));
  log::info("from=<{}>", "a@b\r\nJan  1 00:00:00 host tern/smtpd[1]: forged\x01\x7f\xff");
  EXPECT_TRUE(log::configure("", "tern"));
  std::string text = slurp(file);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.find('\n'), text.size() - 1) << text;
  EXPECT_NE(text.find("a@b\\x0d\\x0aJan  1"), std::string::npos) << text;
  EXPECT_NE(text.find("forged\\x01\\x7f\\xff"), std::string::npos) << text;
}

TEST(LogFacade, RefusesSymlinkHardLinkAndOthersFiles) {
  TempDir d;
  std::string victim = d.path + "/victim";
  std::ofstream(victim) << "keep\n";
  std::string link = d.path + "/maillog";
  ASSERT_EQ(::symlink(victim.c_str(), link.c_str()), 0);
  auto st = log::configure(link, "tern/test");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().detail.find("symbolic link"), std::string::npos) << st.error().detail;
  // A dangling symlink is not followed to create its target either.
  std::string dangling = d.path + "/dangling";
  ASSERT_EQ(::symlink((d.path + "/created").c_str(), dangling.c_str()), 0);
  EXPECT_FALSE(log::configure(dangling, "tern/test"));
  EXPECT_NE(::access((d.path + "/created").c_str(), F_OK), 0);
  std::string hard = d.path + "/hard";
  ASSERT_EQ(::link(victim.c_str(), hard.c_str()), 0);
  st = log::configure(hard, "tern/test");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().detail.find("hard links"), std::string::npos) << st.error().detail;
  log::info("still to stderr");
  EXPECT_EQ(slurp(victim), "keep\n");
  EXPECT_FALSE(log::configure(d.path, "tern/test"));  // a directory
  EXPECT_TRUE(log::configure("/dev/stdout", "tern/test"));
  EXPECT_TRUE(log::configure("", "tern"));
}
