// Tests of the mbox reader (mbox_parse.h): splitting, quoting, the state
// headers and what is hidden, sizes, and the bounds on hostile input.
#include "store/mbox_parse.h"

#include <gtest/gtest.h>

#include <cstring>

#include "store/mbox.h"

namespace tern::store {
namespace {

Result<MboxIndex> parse(const std::string& s, size_t chunk_limit = SIZE_MAX) {
  return parse_mbox(s.size(), [&](uint64_t off, char* buf, size_t n) -> ssize_t {
    if (off >= s.size()) return 0;
    n = std::min({n, s.size() - static_cast<size_t>(off), chunk_limit});
    std::memcpy(buf, s.data() + off, n);
    return static_cast<ssize_t>(n);
  });
}

std::string shown(const std::string& file, const MboxEntry& e) {
  return mbox_present(std::string_view(file).substr(e.header_off, e.end_off - e.header_off));
}

TEST(MboxParse, EmptyFileHasNoMessages) {
  auto idx = parse("");
  ASSERT_TRUE(idx);
  EXPECT_TRUE(idx->entries.empty());
}

TEST(MboxParse, NotAnMboxIsRefused) { EXPECT_FALSE(parse("Subject: x\n\nbody\n")); }

TEST(MboxParse, DeliveredEntriesReadBackByteIdentical) {
  const std::string m1 = "Subject: one\n\nFrom here\n>From there\n>>From afar\nFromage\n";
  const std::string m2 = "Subject: two\n\nno final newline";
  std::string file = mbox_entry("a@b", 1795426801, "", m1) + mbox_entry("", 1795426802, "", m2);
  for (size_t chunk : {SIZE_MAX, size_t(1), size_t(7)}) {
    auto idx = parse(file, chunk);
    ASSERT_TRUE(idx);
    ASSERT_EQ(idx->entries.size(), 2u);
    EXPECT_EQ(shown(file, idx->entries[0]), m1);
    EXPECT_EQ(shown(file, idx->entries[1]), m2 + "\n");  // mbox_entry ends it with a newline
    EXPECT_EQ(idx->entries[0].size, m1.size());
    EXPECT_EQ(idx->entries[0].crlf_size, m1.size() + 6);  // six lines
    EXPECT_EQ(idx->entries[0].uid, 0u);
    EXPECT_FALSE(idx->has_base);
    EXPECT_EQ(idx->entries[1].next_off, file.size());
    EXPECT_EQ(idx->entries[1].internal_date_s, 1795426802);
  }
}

TEST(MboxParse, StateHeadersAreReadAndHidden) {
  std::string file =
      "From a@b Mon Nov 23 09:40:01 2026\n"
      "X-IMAPbase: 1700000000 0000000009 $Junk Work\n"
      "Subject: s\n"
      "X-UID: 4\n"
      "Status: RO\n"
      "X-Status: AF\n"
      "X-Keywords: Work bad(kw\n"
      "Content-Length: 5\n"
      "  continued-hidden\n"
      "\n"
      "body\n"
      "\n"
      "From b@c Mon Nov 23 09:40:02 2026\n"
      "X-UID: 3\n"
      "X-Status: DT\n"
      "\n"
      "two\n";
  auto idx = parse(file);
  ASSERT_TRUE(idx);
  ASSERT_TRUE(idx->has_base);
  EXPECT_EQ(idx->base.uidvalidity, 1700000000u);
  EXPECT_EQ(idx->base.uidnext, 9u);
  EXPECT_EQ(idx->base.keywords, (std::vector<std::string>{"$Junk", "Work"}));
  ASSERT_EQ(idx->entries.size(), 2u);
  const auto& a = idx->entries[0];
  EXPECT_EQ(a.uid, 4u);
  EXPECT_EQ(a.flags, kFlagSeen | kFlagAnswered | kFlagFlagged);
  EXPECT_EQ(a.keywords, (std::vector<std::string>{"Work"}));
  EXPECT_EQ(shown(file, a), "Subject: s\n\nbody\n");
  EXPECT_EQ(a.size, shown(file, a).size());
  // Not ascending: the second message counts as fresh.
  EXPECT_EQ(idx->entries[1].uid, 0u);
  EXPECT_EQ(idx->entries[1].flags, kFlagDeleted | kFlagDraft);
}

TEST(MboxParse, FromInsideABodyWithoutBlankLineIsNoSeparator) {
  std::string file = "From a Mon Nov 23 09:40:01 2026\nSubject: x\n\nline\nFrom not a separator\n\n";
  auto idx = parse(file);
  ASSERT_TRUE(idx);
  ASSERT_EQ(idx->entries.size(), 1u);
  EXPECT_EQ(shown(file, idx->entries[0]), "Subject: x\n\nline\nFrom not a separator\n");
}

TEST(MboxParse, FromLineWithADateSplitsWithoutABlankLine) {
  std::string file =
      "From a Mon Nov 23 09:40:01 2026\nSubject: x\n\nline\n"
      "From b@c Mon Nov 23 09:40:02 2026\nSubject: y\n\nz\n";
  auto idx = parse(file);
  ASSERT_TRUE(idx);
  ASSERT_EQ(idx->entries.size(), 2u);
  EXPECT_EQ(shown(file, idx->entries[0]), "Subject: x\n\nline\n");
  EXPECT_EQ(shown(file, idx->entries[1]), "Subject: y\n\nz\n");
}

TEST(MboxParse, MetaHeadersParseBack) {
  MboxEntry e;
  e.uid = 7;
  e.flags = kFlagSeen | kFlagDeleted | kFlagDraft;
  e.keywords = {"$Forwarded"};
  MboxBase b{123, 8, {"$Forwarded"}};
  std::string file = "From x Mon Nov 23 09:40:01 2026\n" + mbox_meta_headers(e, &b) + "Subject: y\n\nz\n";
  auto idx = parse(file);
  ASSERT_TRUE(idx);
  ASSERT_EQ(idx->entries.size(), 1u);
  EXPECT_EQ(idx->base.uidvalidity, 123u);
  EXPECT_EQ(idx->base.uidnext, 8u);
  EXPECT_EQ(idx->entries[0].uid, 7u);
  EXPECT_EQ(idx->entries[0].flags, e.flags);
  EXPECT_EQ(idx->entries[0].keywords, e.keywords);
  EXPECT_EQ(shown(file, idx->entries[0]), "Subject: y\n\nz\n");
  EXPECT_NE(mbox_meta_headers(e, &b).find("Status: RO\n"), std::string::npos);
  EXPECT_NE(mbox_meta_headers(e, &b).find("X-Status: DT\n"), std::string::npos);
}

TEST(MboxParse, HugeLinesAreBoundedAndCounted) {
  std::string big(3 * kMboxMaxLine + 5, 'x');
  std::string file = "From a Mon Nov 23 09:40:01 2026\nX-UID: 1\nSubject: " + big + "\nX-Keywords: " + big +
                     "\n\n>From " + big + "\n";
  auto idx = parse(file);
  ASSERT_TRUE(idx);
  ASSERT_EQ(idx->entries.size(), 1u);
  const auto& e = idx->entries[0];
  EXPECT_TRUE(e.keywords.empty());  // too long to believe
  EXPECT_EQ(e.uid, 1u);
  EXPECT_EQ(shown(file, e).size(), e.size);
  std::string header;
  auto read = [&](uint64_t off, char* buf, size_t n) -> ssize_t {
    n = std::min<size_t>(n, file.size() - off);
    std::memcpy(buf, file.data() + off, n);
    return static_cast<ssize_t>(n);
  };
  ASSERT_TRUE(mbox_filter_header(e.header_off, e.body_off, read, [&](std::string_view s) {
    header.append(s);
    return ok_status();
  }));
  EXPECT_EQ(header, "Subject: " + big + "\n");
}

TEST(MboxParse, BadUidsAreNotBelieved) {
  std::string file =
      "From a Mon Nov 23 09:40:01 2026\nX-IMAPbase: 0 5\nX-UID: 99999999999\n\nx\n\n"
      "From a Mon Nov 23 09:40:01 2026\nX-UID: 2147483648\n\ny\n";
  auto idx = parse(file);
  ASSERT_TRUE(idx);
  EXPECT_FALSE(idx->has_base);  // uidvalidity 0
  ASSERT_EQ(idx->entries.size(), 2u);
  EXPECT_EQ(idx->entries[0].uid, 0u);
  EXPECT_EQ(idx->entries[1].uid, 0u);
}

TEST(MboxParse, FromDate) {
  EXPECT_GT(mbox_from_date("From a@b Mon Nov 23 09:40:01 2026\n"), 0);
  EXPECT_EQ(mbox_from_date("From a@b garbage\n"), 0);
  EXPECT_EQ(mbox_from_date("From a@b Mon Foo 23 09:40:01 2026\n"), 0);
}

}  // namespace
}  // namespace tern::store
