// Tests for open_table() dispatch, texthash: and inline: tables.
#include <gtest/gtest.h>

#include <thread>

#include "maps/maps_test_util.h"
#include "maps/table.h"

namespace tern::maps {
namespace {

TEST(Texthash, CaseInsensitiveLookups) {
  testing::TempDir d;
  std::string p = d.write("virtual", "# virtual\nInfo@Example.com  alice\nsales@example.com bob,\n  carol\n");
  auto t = open_table("texthash:" + p);
  ASSERT_TRUE(t.ok()) << t.error().detail;
  EXPECT_EQ((*t)->spec(), "texthash:" + p);
  struct Case {
    const char* key;
    Status status;
    const char* value;
  };
  const Case cases[] = {
      {"info@example.com", Status::found, "alice"},
      {"INFO@EXAMPLE.COM", Status::found, "alice"},
      {"Sales@Example.Com", Status::found, "bob, carol"},
      {"other@example.com", Status::not_found, ""},
      {"", Status::not_found, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.key);
    auto r = (*t)->lookup(c.key);
    EXPECT_EQ(r.status, c.status);
    EXPECT_EQ(r.value, c.value);
  }
}

TEST(Texthash, AliasesFormat) {
  testing::TempDir d;
  std::string p = d.write("aliases", "Postmaster: root\nroot: alice, bob\n");
  auto t = open_table("texthash:" + p, Format::aliases);
  ASSERT_TRUE(t.ok()) << t.error().detail;
  EXPECT_EQ((*t)->lookup("postmaster").value, "root");
  EXPECT_EQ((*t)->lookup("ROOT").value, "alice, bob");
}

TEST(Texthash, Errors) {
  testing::TempDir d;
  auto missing = open_table("texthash:" + d.path() + "/none");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.error().is_temporary());
  EXPECT_NE(missing.error().detail.find("try again"), std::string::npos);

  std::string p = d.write("bad", "a b\nc\n");
  auto bad = open_table("texthash:" + p);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.error().is_permanent());
  EXPECT_EQ(bad.error().detail, p + ":2: missing value for 'c'");

  std::string a = d.write("aliases", "root admin\n");
  auto bad_alias = open_table("texthash:" + a, Format::aliases);
  ASSERT_FALSE(bad_alias.ok());
  EXPECT_NE(bad_alias.error().detail.find(a + ":1: expected 'name: value'"), std::string::npos);
}

TEST(Texthash, ConcurrentLookups) {
  testing::TempDir d;
  std::string text;
  for (int i = 0; i < 500; ++i) text += "key" + std::to_string(i) + " value" + std::to_string(i) + "\n";
  auto t = open_table("texthash:" + d.write("big", text));
  ASSERT_TRUE(t.ok());
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int n = 0; n < 4; ++n)
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        int k = i % 600;
        auto r = (*t)->lookup("KEY" + std::to_string(k));
        if (r.found() != (k < 500) || (r.found() && r.value != "value" + std::to_string(k))) ++bad;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(Inline, Lookups) {
  auto t = open_table("inline:{ Key1=value1, key2=value2 { key3 = text with, comma } key4=v4}");
  ASSERT_TRUE(t.ok()) << t.error().detail;
  EXPECT_EQ((*t)->lookup("key1").value, "value1");
  EXPECT_EQ((*t)->lookup("KEY2").value, "value2");
  EXPECT_EQ((*t)->lookup("key3").value, "text with, comma");
  EXPECT_EQ((*t)->lookup("key4").value, "v4");
  EXPECT_EQ((*t)->lookup("key5").status, Status::not_found);
  EXPECT_TRUE(open_table("inline:{}").ok());
  EXPECT_TRUE(open_table("inline:{ }").ok());
  auto dup = open_table("inline:{a=1,a=2}");
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ((*dup)->lookup("a").value, "1");
  EXPECT_EQ((*dup)->lookup("a").value, "1");
  auto eq = open_table("inline:{a=b=c}");
  ASSERT_TRUE(eq.ok());
  EXPECT_EQ((*eq)->lookup("a").value, "b=c");
}

TEST(Inline, Errors) {
  struct Case {
    const char* spec;
    const char* error;
  };
  const Case cases[] = {
      {"inline:", "expected inline:{ key=value, ... }"},
      {"inline:a=b", "expected inline:{ key=value, ... }"},
      {"inline:{a=b", "expected inline:{ key=value, ... }"},
      {"inline:{ a }", "expected key=value, got 'a'"},
      {"inline:{ =b }", "missing key"},
      {"inline:{ a= }", "missing value for 'a'"},
      {"inline:{ { a = b }", "missing '}'"},
      {"inline:{ a{=b }", "unexpected brace"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.spec);
    auto t = open_table(c.spec);
    ASSERT_FALSE(t.ok());
    EXPECT_TRUE(t.error().is_permanent());
    EXPECT_NE(t.error().detail.find(c.error), std::string::npos) << t.error().detail;
  }
}

TEST(OpenTable, Dispatch) {
  struct Case {
    const char* spec;
    const char* error;
  };
  const Case cases[] = {
      {"/etc/aliases", "has no type"},
      {":/etc/aliases", "has no type"},
      {"dbm:/etc/aliases", "unsupported type 'dbm'"},
      {"texthash:", "missing file name"},
      {"lmdb:", "missing file name"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.spec);
    auto t = open_table(c.spec);
    ASSERT_FALSE(t.ok());
    EXPECT_TRUE(t.error().is_permanent());
    EXPECT_NE(t.error().detail.find(c.error), std::string::npos) << t.error().detail;
  }
  auto t = open_table("  INLINE:{a=b}  ");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->spec(), "INLINE:{a=b}");
}

}  // namespace
}  // namespace tern::maps
