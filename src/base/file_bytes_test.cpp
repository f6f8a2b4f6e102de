// FileBytes: a large file is copied while the process's copies of large
// files stay within the budget, and mapped past it (and above 1 MiB); the
// budget is given back when a copy goes (moved-from objects give back
// nothing twice); the bytes are the file's either way; a symlink is refused
// when not followed.
#include "base/file_bytes.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace tern::fs {
namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/tern-file-bytes-test-XXXXXX";
    path = ::mkdtemp(t);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

std::string make_file(const TempDir& d, const std::string& name, size_t size) {
  std::string p = d.path + "/" + name;
  std::string bytes(size, 'x');
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>('a' + i % 26);
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}

TEST(FileBytes, LargeFilesAreCopiedWithinTheBudgetAndMappedPastIt) {
  TempDir d;
  const size_t big = 100 * 1024, map_from = 64 * 1024, budget = 250 * 1024;
  const size_t before = FileBytes::large_copies_held();
  auto a = FileBytes::load(make_file(d, "a", big), false, map_from, size_t{1} << 31, budget);
  auto b = FileBytes::load(make_file(d, "b", big), false, map_from, size_t{1} << 31, budget);
  auto c = FileBytes::load(make_file(d, "c", big), false, map_from, size_t{1} << 31, budget);
  ASSERT_TRUE(a && b && c);
  EXPECT_FALSE(a->mapped());
  EXPECT_FALSE(b->mapped());
  EXPECT_TRUE(c->mapped());  // 300 KiB would pass the 250 KiB budget
  EXPECT_EQ(FileBytes::large_copies_held(), before + 2 * big);
  for (auto* f : {&*a, &*b, &*c}) {
    ASSERT_EQ(f->view().size(), big);
    EXPECT_EQ(f->view()[27], 'b');
    EXPECT_EQ(f->view()[big - 1], static_cast<char>('a' + (big - 1) % 26));
  }
  // Moved, the share moves with the bytes and is given back once.
  FileBytes moved = std::move(*a);
  EXPECT_EQ(FileBytes::large_copies_held(), before + 2 * big);
  moved = FileBytes();
  EXPECT_EQ(FileBytes::large_copies_held(), before + big);
  auto again = FileBytes::load(d.path + "/c", false, map_from, size_t{1} << 31, budget);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->mapped());  // room again
  b = FileBytes();
  again = FileBytes();
  EXPECT_EQ(FileBytes::large_copies_held(), before);
  // Above kCopyUpTo a file is mapped whatever the budget.
  auto huge = FileBytes::load(make_file(d, "huge", FileBytes::kCopyUpTo + 1));
  ASSERT_TRUE(huge);
  EXPECT_TRUE(huge->mapped());
  EXPECT_EQ(huge->view().size(), FileBytes::kCopyUpTo + 1);
  EXPECT_EQ(FileBytes::large_copies_held(), before);
}

TEST(FileBytes, SmallFilesAndRefusedSymlinks) {
  TempDir d;
  std::string p = make_file(d, "small", 10);
  auto s = FileBytes::load(p);
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->mapped());
  EXPECT_EQ(s->view(), "abcdefghij");
  std::string link = d.path + "/link";
  ASSERT_EQ(::symlink(p.c_str(), link.c_str()), 0);
  EXPECT_FALSE(FileBytes::load(link));
  EXPECT_TRUE(FileBytes::load(link, true));
  EXPECT_FALSE(FileBytes::load(d.path + "/missing"));
  // Larger than max_bytes: an error, not a truncated copy.
  EXPECT_FALSE(FileBytes::load(p, false, 64 * 1024, 5));
}

}  // namespace
}  // namespace tern::fs
