// Tests for the queue listing: the envelope-only reader agrees with the
// whole-file parser, never needs the content, refuses hostile lengths, and
// the scan names queues and reasons as mailq shows them.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/fd.h"
#include "base/fs.h"
#include "queue/listing.h"
#include "queue/reader.h"
#include "queue/record.h"

using namespace tern;
using namespace tern::queue;

namespace {

std::string listing_dir() {
  char t[] = "/tmp/tern-listing-test-XXXXXX";
  return ::mkdtemp(t);
}

std::string image(std::string_view content, bool first_done = false) {
  std::string b(kMagic);
  append_record(b, kArrival, "1700000000");
  append_record(b, kSender, "s@example.org");
  append_record(b, first_done ? kDone : kRecipient, "a@example.com");
  append_record(b, kRecipient, "b@Example.NET");
  append_record(b, kContent, content);
  append_record(b, kEnd, "");
  return b;
}

void put(const std::string& dir, const std::string& name, const std::string& bytes) {
  ASSERT_TRUE(fs::write_file_atomic(fs::join(dir, name), bytes, 0600));
}

}  // namespace

TEST(Listing, HeadReaderMatchesTheWholeFileParser) {
  std::string dir = listing_dir();
  std::string bytes = image(std::string(100000, 'x'), true);
  put(dir, "0123456789ABCDEF", bytes);
  UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY));
  auto head = read_envelope_head(d.get(), "0123456789ABCDEF");
  auto whole = parse_queue_file(bytes, "0123456789ABCDEF");
  ASSERT_TRUE(head) << head.error().detail;
  ASSERT_TRUE(whole);
  EXPECT_EQ(head->arrival, whole->arrival);
  EXPECT_EQ(head->sender, whole->sender);
  EXPECT_EQ(head->content_size, 100000u);
  EXPECT_EQ(head->content_offset, whole->content_offset);
  ASSERT_EQ(head->recipients.size(), 2u);
  EXPECT_TRUE(head->recipients[0].done);
  EXPECT_EQ(head->recipients[1].type_offset, whole->recipients[1].type_offset);
}

TEST(Listing, HeadReaderChecksTheContentLength) {
  // A file cut inside its content is refused: the content record's length
  // is checked against the file size, though the content is never read.
  std::string dir = listing_dir();
  std::string bytes = image(std::string(10000, 'x'));
  put(dir, "0123456789ABCDEF", bytes.substr(0, bytes.size() - 5000));
  UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY));
  EXPECT_FALSE(read_envelope_head(d.get(), "0123456789ABCDEF"));  // the content length runs past the end
  put(dir, "0123456789ABCDE0", bytes);
  EXPECT_TRUE(read_envelope_head(d.get(), "0123456789ABCDE0"));
}

TEST(Listing, HeadReaderRefusesHostileFiles) {
  std::string dir = listing_dir();
  UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY));
  std::string huge(kMagic);
  huge += record_header(kSender, 0xfffffff0u);
  huge += "abc";
  std::string unknown(kMagic);
  append_record(unknown, 'Z', "?");
  std::string no_sender(kMagic);
  append_record(no_sender, kRecipient, "a@b");
  append_record(no_sender, kContent, "x");
  append_record(no_sender, kEnd, "");
  std::string cases[] = {"", "TERNQ1\n", "NOTQ1\n\0\0\0\0\0", huge, unknown, no_sender, image("x").substr(0, 30)};
  int n = 0;
  for (auto& c : cases) {
    std::string name = fmt::format("{:016X}", ++n);
    put(dir, name, c);
    EXPECT_FALSE(read_envelope_head(d.get(), name)) << n;
  }
  ASSERT_EQ(::symlink("/etc/passwd", fs::join(dir, "00000000000000FF").c_str()), 0);
  EXPECT_FALSE(read_envelope_head(d.get(), "00000000000000FF"));
}

TEST(Listing, ScanNamesQueuesAndReasons) {
  Spool spool(listing_dir());
  ASSERT_TRUE(spool.init());
  put(spool.area_dir(Area::active), "0000000000000001", image("x"));
  put(spool.area_dir(Area::active), "0000000000000002", image("yy", true));
  spool.write_defer_note("0000000000000002", "b@Example.NET: 4.4.1 host down\n");
  put(spool.area_dir(Area::hold), "0000000000000003", image("zzz"));
  put(spool.area_dir(Area::corrupt), "0000000000000004", "garbage");
  put(spool.area_dir(Area::active), "not-an-id", image("x"));
  std::vector<ListedMessage> seen;
  scan_queue(spool, [&](const ListedMessage& m) {
    seen.push_back(m);
    return true;
  });
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].queue_name, "active");
  EXPECT_EQ(seen[0].recipients.size(), 2u);
  EXPECT_EQ(seen[1].queue_name, "deferred");
  ASSERT_EQ(seen[1].recipients.size(), 1u);  // the done one is not listed
  EXPECT_EQ(seen[1].recipients[0].reason, "4.4.1 host down");
  EXPECT_EQ(seen[1].size, 2u);
  EXPECT_EQ(seen[2].queue_name, "hold");
  EXPECT_EQ(seen[3].queue_name, "corrupt");
  EXPECT_FALSE(seen[3].error.empty());
  auto ids = queued_ids(spool);
  ASSERT_EQ(ids.size(), 4u);
  EXPECT_EQ(ids[1].queue_name, "deferred");
  EXPECT_EQ(ids[2].queue_name, "hold");
}
