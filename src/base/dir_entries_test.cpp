// for_each_dir_entry lists an open directory from its start every time
// (the same descriptor twice sees a change made between), without "." and
// "..", with the entry types the file system gives.
#include "base/dir_entries.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

namespace tern::fs {
namespace {

std::set<std::string> list(int fd, std::set<std::string>* dirs = nullptr) {
  std::set<std::string> out;
  Status st = for_each_dir_entry(fd, "test", [&](std::string_view name, unsigned char type) {
    out.emplace(name);
    if (dirs && type == DT_DIR) dirs->emplace(name);
  });
  EXPECT_TRUE(st);
  return out;
}

TEST(DirEntries, ListsFromTheStartEveryTime) {
  auto dir = std::filesystem::temp_directory_path() / ("tern-dirent-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "sub");
  // Enough names to need several getdents64 calls of 32 KiB.
  for (int i = 0; i < 1500; ++i) std::ofstream(dir / (std::string(40, 'n') + std::to_string(i))) << "x";
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::set<std::string> dirs;
  auto first = list(fd, &dirs);
  EXPECT_EQ(first.size(), 1501u);
  EXPECT_EQ(first.count("."), 0u);
  EXPECT_EQ(first.count(".."), 0u);
  EXPECT_EQ(dirs, std::set<std::string>{"sub"});
  std::filesystem::remove(dir / (std::string(40, 'n') + "7"));
  std::ofstream(dir / "late") << "y";
  auto second = list(fd);
  EXPECT_EQ(second.size(), 1501u);
  EXPECT_EQ(second.count("late"), 1u);
  EXPECT_EQ(second.count(std::string(40, 'n') + "7"), 0u);
  ::close(fd);
  std::filesystem::remove_all(dir);
}

// What a listing took is told: the bytes the kernel returned, and the
// calls; a buffer of at least those bytes lists the directory in one call
// (atomic against renames), whatever size the file system gives it.
TEST(DirEntries, ABufferSizedByTheBytesReturnedListsInOneCall) {
  auto dir = std::filesystem::temp_directory_path() / ("tern-dirent-one-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (int i = 0; i < 2000; ++i) std::ofstream(dir / (std::string(40, 'm') + std::to_string(i))) << "x";
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  size_t names = 0;
  DirListing listing;
  ASSERT_TRUE(for_each_dir_entry(fd, "test", [&](std::string_view, unsigned char) { ++names; }, &listing));
  EXPECT_EQ(names, 2000u);
  EXPECT_GE(listing.calls, 1u);
  // Each record holds at least its name and the 19 bytes before it.
  EXPECT_GE(listing.bytes, 2002u * (19 + 41));
  DirListing again;
  again.min_buffer = listing.bytes + 4096;
  names = 0;
  ASSERT_TRUE(for_each_dir_entry(fd, "test", [&](std::string_view, unsigned char) { ++names; }, &again));
  EXPECT_EQ(names, 2000u);
  EXPECT_EQ(again.calls, 1u);
  EXPECT_EQ(again.bytes, listing.bytes);
  ::close(fd);
  std::filesystem::remove_all(dir);
}

TEST(DirEntries, NotADirectoryIsAnError) {
  int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  Status st = for_each_dir_entry(fd, "/dev/null", [](std::string_view, unsigned char) {});
  EXPECT_FALSE(st);
  ::close(fd);
}

}  // namespace
}  // namespace tern::fs
