// Tests of quota rules (Dovecot's syntax) and the Maildir++ maildirsize
// file: parsing, rebuilding from the folders, changes appended, and
// malformed or foreign files rebuilt rather than trusted.
#include "store/quota.h"

#include <gtest/gtest.h>

#include <fstream>

#include "store/maildir_mailbox.h"
#include "store/maildir_store.h"
#include "store/store_test_util.h"

using namespace tern::store;
using tern::store::test_util::slurp;
using tern::store::test_util::TempDir;

TEST(QuotaRule, DovecotSyntax) {
  EXPECT_EQ(parse_quota_rule("*:storage=1G")->storage_bytes, 1ull << 30);
  EXPECT_EQ(parse_quota_rule("*:storage=100M")->storage_bytes, 100ull << 20);
  EXPECT_EQ(parse_quota_rule("*:storage=2048")->storage_bytes, 2048ull * 1024);  // bare number: kilobytes
  EXPECT_EQ(parse_quota_rule("*:storage=10b")->storage_bytes, 10u);
  EXPECT_EQ(parse_quota_rule("*:bytes=12345")->storage_bytes, 12345u);
  auto both = parse_quota_rule("*:storage=1M:messages=10");
  ASSERT_TRUE(both);
  EXPECT_EQ(both->storage_bytes, 1u << 20);
  EXPECT_EQ(both->messages, 10u);
  EXPECT_FALSE(parse_quota_rule("*:ignore")->limited());
  EXPECT_FALSE(parse_quota_rule("none")->limited());
  for (const char* bad : {"Trash:storage=+100M", "*:storage=", "*:storage=1X", "*:storage=-1", "*:size=1G",
                          "*:messages=ten", "*:storage=99999999999999999999G"}) {
    auto r = parse_quota_rule(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_NE(r.error().detail.find(bad), std::string::npos) << r.error().detail;
    }
  }
}

TEST(QuotaRule, FromPasswdFileExtraFields) {
  auto r = quota_rule_from_extra("userdb_mail=maildir:~/Maildir userdb_quota_rule=*:storage=5M quota_rule2=*:messages=3");
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->storage_bytes, 5u << 20);
  EXPECT_EQ((*r)->messages, 3u);
  auto none = quota_rule_from_extra("userdb_home=/x");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  EXPECT_FALSE(quota_rule_from_extra("userdb_quota_rule=*:storage=lots"));
}

TEST(MaildirSize, ParseSumsChangeLines) {
  auto m = parse_maildirsize("1048576S,100C\n500 2\n-200 -1\n  30   1\n");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->limits.storage_bytes, 1048576u);
  EXPECT_EQ(m->limits.messages, 100u);
  EXPECT_EQ(m->usage.bytes, 330);
  EXPECT_EQ(m->usage.messages, 2);
  EXPECT_EQ(m->lines, 3u);
  EXPECT_TRUE(parse_maildirsize("0S\n0 0\n"));
  for (const char* bad : {"", "\n", "1000S\n12", "1000X\n1 1\n", "1000S\nabc 1\n", "1000S\n1\n",
                          "1000S\n9223372036854775807 1\n1 1\n"})
    EXPECT_FALSE(parse_maildirsize(bad)) << bad;
}

TEST(MaildirSize, HeaderRoundTrips) {
  for (QuotaRule r : {QuotaRule{1 << 20, 0}, QuotaRule{0, 7}, QuotaRule{5000, 9}, QuotaRule{}}) {
    auto m = parse_maildirsize(maildirsize_header(r) + "\n0 0\n");
    ASSERT_TRUE(m) << maildirsize_header(r);
    EXPECT_EQ(m->limits.storage_bytes, r.storage_bytes);
    EXPECT_EQ(m->limits.messages, r.messages);
  }
}

TEST(Quota, UsageIsRebuiltFromEveryFolderThenKeptByChangeLines) {
  TempDir t;
  MaildirStore store(t / "acct");
  ASSERT_TRUE(store.create("Work"));
  auto inbox = store.open("INBOX");
  auto work = store.open("Work");
  ASSERT_TRUE(inbox && work);
  ASSERT_TRUE((*inbox)->append("Subject: a\n\n0123456789\n", 0, 0));
  ASSERT_TRUE((*work)->append("Subject: b\n\nxyz\n", 0, 0));
  const std::string root = t / "acct";
  QuotaRule rule{1 << 20, 100};
  auto u = quota_usage(root, rule);
  ASSERT_TRUE(u) << u.error().detail;
  EXPECT_EQ(u->messages, 2);
  EXPECT_EQ(u->bytes, static_cast<int64_t>(std::string("Subject: a\n\n0123456789\n").size() +
                                           std::string("Subject: b\n\nxyz\n").size()));
  EXPECT_EQ(slurp(root + "/maildirsize").substr(0, 14), "1048576S,100C\n");
  ASSERT_TRUE(quota_add(root, 1000, 1));
  ASSERT_TRUE(quota_add(root, -10, -1));
  auto again = quota_usage(root, rule);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->bytes, u->bytes + 990);
  EXPECT_EQ(again->messages, 2);
  // Another rule than the file states: rebuilt from the folders (the
  // change lines above described no real file).
  auto other = quota_usage(root, QuotaRule{2 << 20, 0});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->bytes, u->bytes);
  EXPECT_EQ(slurp(root + "/maildirsize").substr(0, 9), "2097152S\n");
}

TEST(Quota, MalformedOrOversizedFilesAreRebuilt) {
  TempDir t;
  MaildirStore store(t / "acct");
  auto inbox = store.open("INBOX");
  ASSERT_TRUE(inbox && (*inbox)->append("x\n", 0, 0));
  const std::string root = t / "acct";
  QuotaRule rule{1000, 0};
  for (std::string junk : {std::string("1000S\n-999999 -5\n"), std::string("1000S\ngarbage\n"),
                           "1000S\n" + std::string(6000, ' ') + "1 1\n"}) {
    std::ofstream(root + "/maildirsize") << junk;
    auto u = quota_usage(root, rule);
    ASSERT_TRUE(u);
    EXPECT_EQ(u->bytes, 2) << junk.substr(0, 20);
    EXPECT_EQ(u->messages, 1);
  }
}

TEST(Quota, AddWithoutAFileDoesNothing) {
  TempDir t;
  ASSERT_TRUE(quota_add(t.path(), 10, 1));
  EXPECT_FALSE(std::ifstream(t.path() + "/maildirsize").good());
}

TEST(Quota, Exceeded) {
  QuotaRule r{1000, 3};
  EXPECT_FALSE(quota_exceeded(r, {900, 1}, 100));
  EXPECT_TRUE(quota_exceeded(r, {900, 1}, 101));
  EXPECT_TRUE(quota_exceeded(r, {0, 3}, 1));
  EXPECT_FALSE(quota_exceeded(QuotaRule{}, {1 << 30, 1 << 30}, 1 << 30));
  EXPECT_FALSE(quota_exceeded(r, {0, 1}, 10, 2));
  EXPECT_TRUE(quota_exceeded(r, {0, 1}, 10, 3));
}

TEST(Quota, AnAccountWithoutAMaildirUsesNothing) {
  TempDir t;
  auto u = quota_usage(t / "never-delivered", QuotaRule{1000, 0});
  ASSERT_TRUE(u) << u.error().detail;
  EXPECT_EQ(u->bytes, 0);
  EXPECT_EQ(u->messages, 0);
}
