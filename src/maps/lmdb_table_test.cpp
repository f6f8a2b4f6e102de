// Tests for build_indexed (lmdb_build.cpp) and the lmdb:/hash:/btree: table
// (lmdb_table.cpp): round trip, missing file, rebuild seen by an open table.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include <filesystem>
#include <thread>

#include "maps/maps_test_util.h"
#include "maps/table.h"

namespace tern::maps {
namespace {

TEST(Lmdb, BuildAndLookup) {
  testing::TempDir d;
  std::string p = d.write("access",
                          "# access table\n"
                          "Example.COM REJECT go away\n"
                          "spammer@example.net 550 no\n"
                          "long value,\n  continued\n"
                          "example.com OK\n");  // duplicate: first kept
  ASSERT_TRUE(build_indexed(p, Format::table).ok());
  EXPECT_TRUE(fs::exists(p + ".lmdb"));
  EXPECT_FALSE(fs::exists(p + ".lmdb-lock"));
  const std::string too_long(2000, 'x');
  for (const char* type : {"lmdb:", "hash:", "btree:"}) {
    SCOPED_TRACE(type);
    auto t = open_table(type + p);
    ASSERT_TRUE(t.ok()) << t.error().detail;
    EXPECT_EQ((*t)->spec(), type + p);
    struct Case {
      const char* key;
      Status status;
      const char* value;
    };
    const Case cases[] = {
        {"example.com", Status::found, "REJECT go away"},
        {"EXAMPLE.com", Status::found, "REJECT go away"},
        {"Spammer@Example.NET", Status::found, "550 no"},
        {"long", Status::found, "value, continued"},
        {"other.example", Status::not_found, ""},
        {"", Status::not_found, ""},
        {too_long.c_str(), Status::not_found, ""},
    };
    for (const auto& c : cases) {
      SCOPED_TRACE(c.key);
      auto r = (*t)->lookup(c.key);
      EXPECT_EQ(r.status, c.status) << r.detail;
      EXPECT_EQ(r.value, c.value);
    }
  }
}

TEST(Lmdb, ManyEntriesAndBigValues) {
  testing::TempDir d;
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "k" + std::to_string(i) + " v\n";  // tiny entries: many nodes per source byte
  text += "big " + std::string(100000, 'b') + "\n";
  std::string p = d.write("many", text);
  auto st = build_indexed(p, Format::table);
  ASSERT_TRUE(st.ok()) << st.error().detail;
  auto t = open_table("lmdb:" + p);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->lookup("k19999").value, "v");
  EXPECT_EQ((*t)->lookup("big").value.size(), 100000u);
}

TEST(Lmdb, AliasesFormat) {
  testing::TempDir d;
  std::string p = d.write("aliases", "MAILER-DAEMON: postmaster\npostmaster: root\nroot: alice, |\"/bin/x\"\n");
  ASSERT_TRUE(build_indexed(p, Format::aliases).ok());
  auto t = open_table("hash:" + p, Format::aliases);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->lookup("mailer-daemon").value, "postmaster");
  EXPECT_EQ((*t)->lookup("root").value, "alice, |\"/bin/x\"");
}

TEST(Lmdb, MissingDatabaseIsTryAgain) {
  testing::TempDir d;
  std::string p = d.write("virtual", "a b\n");
  auto t = open_table("lmdb:" + p);
  ASSERT_TRUE(t.ok());  // opening succeeds; lookups defer the mail
  auto r = (*t)->lookup("a");
  EXPECT_EQ(r.status, Status::try_again);
  EXPECT_NE(r.detail.find("run tern map build " + p), std::string::npos) << r.detail;

  auto a = open_table("hash:" + d.path() + "/aliases", Format::aliases);
  ASSERT_TRUE(a.ok());
  EXPECT_NE((*a)->lookup("root").detail.find("run newaliases"), std::string::npos);

  // Once built, the same open table finds it.
  ASSERT_TRUE(build_indexed(p, Format::table).ok());
  EXPECT_EQ((*t)->lookup("a").value, "b");
}

TEST(Lmdb, RebuildIsSeenByOpenTable) {
  testing::TempDir d;
  std::string p = d.write("t", "a 1\n");
  ASSERT_TRUE(build_indexed(p, Format::table).ok());
  auto t = open_table("lmdb:" + p);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->lookup("a").value, "1");
  d.write("t", "a 2\nb 3\n");
  ASSERT_TRUE(build_indexed(p, Format::table).ok());
  EXPECT_EQ((*t)->lookup("a").value, "2");
  EXPECT_EQ((*t)->lookup("b").value, "3");
}

TEST(Lmdb, CorruptDatabaseIsTryAgain) {
  testing::TempDir d;
  std::string p = d.write("t", "a 1\n");
  d.write("t.lmdb", "this is not an lmdb file");
  auto t = open_table("lmdb:" + p);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->lookup("a").status, Status::try_again);
}

TEST(Lmdb, BuildErrors) {
  testing::TempDir d;
  std::string p = d.write("t", "a 1\nb\n");
  auto st = build_indexed(p, Format::table);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.error().is_permanent());
  EXPECT_EQ(st.error().detail, p + ":2: missing value for 'b'");
  EXPECT_FALSE(fs::exists(p + ".lmdb"));

  std::string k = d.write("k", "ok 1\n" + std::string(600, 'k') + " v\n");
  st = build_indexed(k, Format::table);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().detail.find(k + ":2: key too long"), std::string::npos) << st.error().detail;

  EXPECT_FALSE(build_indexed(d.path() + "/missing", Format::table).ok());
  // No temporary files are left behind.
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(d.path())) n += e.path().string().find(".tmp.") != std::string::npos;
  EXPECT_EQ(n, 0);
}

TEST(Lmdb, KeepsSourcePermissions) {
  testing::TempDir d;
  std::string p = d.write("secret", "user pass\n");
  ASSERT_EQ(::chmod(p.c_str(), 0600), 0);
  ASSERT_TRUE(build_indexed(p, Format::table).ok());
  struct stat st;
  ASSERT_EQ(::stat((p + ".lmdb").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(Lmdb, ReadOnlyDatabaseFile) {
  testing::TempDir d;
  std::string p = d.write("t", "a 1\n");
  ASSERT_TRUE(build_indexed(p, Format::table).ok());
  ASSERT_EQ(::chmod((p + ".lmdb").c_str(), 0444), 0);
  auto t = open_table("lmdb:" + p);
  ASSERT_TRUE(t.ok());
  auto r = (*t)->lookup("a");
  EXPECT_EQ(r.value, "1") << r.detail;
}

TEST(Lmdb, SourceNewerThanDatabaseStillServes) {
  testing::TempDir d;
  std::string p = d.write("t", "a 1\n");
  ASSERT_TRUE(build_indexed(p, Format::table).ok());
  struct timespec times[2] = {{0, UTIME_OMIT}, {::time(nullptr) + 100, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), times, 0), 0);
  auto t = open_table("lmdb:" + p);  // logs "database ... is older than source file"
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->lookup("a").value, "1");
}

TEST(Lmdb, ConcurrentLookupsDuringRebuild) {
  testing::TempDir d;
  std::string p = d.write("t", "a 1\n");
  ASSERT_TRUE(build_indexed(p, Format::table).ok());
  auto t = open_table("lmdb:" + p);
  ASSERT_TRUE(t.ok());
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int n = 0; n < 3; ++n)
    readers.emplace_back([&] {
      while (!stop) {
        auto r = (*t)->lookup("a");
        if (!r.found() || (r.value != "1" && r.value != "2")) ++bad;
      }
    });
  for (int i = 0; i < 20; ++i) {
    d.write("t", i % 2 ? "a 1\n" : "a 2\n");
    ASSERT_TRUE(build_indexed(p, Format::table).ok());
  }
  stop = true;
  for (auto& th : readers) th.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace tern::maps
