// Tests of MboxMailbox (mbox_mailbox.h): deliveries get UIDs that stay,
// flags and keywords land in Status/X-Status/X-Keywords, expunge keeps the
// base, appends, bodies with From lines, and a file shared by two objects.
#include "store/mbox_mailbox.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "store/mbox.h"
#include "store/mbox_parse.h"
#include "store/store_test_util.h"

namespace tern::store {
namespace {

using test_util::slurp;
using test_util::TempDir;
using test_util::uids;

std::unique_ptr<MboxMailbox> open_box(const std::string& path) {
  auto mb = MboxMailbox::open(path, "INBOX");
  EXPECT_TRUE(mb) << (mb ? "" : mb.error().detail);
  return mb ? std::move(*mb) : nullptr;
}

void deliver(const std::string& path, std::string_view msg) {
  auto st = mbox_deliver(path, "a@example.com", 1795426801, "", msg);
  ASSERT_TRUE(st.ok()) << st.error().detail;
}

TEST(MboxMailbox, MissingFileIsAnEmptyFolder) {
  TempDir d;
  auto mb = open_box(d / "u");
  ASSERT_TRUE(mb);
  EXPECT_TRUE(mb->messages().empty());
  EXPECT_EQ(mb->uidnext(), 1u);
}

TEST(MboxMailbox, TwoSessionsOnAnEmptyFileAgree) {
  TempDir d;
  const std::string path = d / "u";
  { std::ofstream(path).flush(); }
  auto a = open_box(path), b = open_box(path);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->uidvalidity(), b->uidvalidity());
  deliver(path, "Subject: one\n\nx\n");
  ASSERT_TRUE(a->refresh());
  auto ch = b->refresh();
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->appeared, (std::vector<uint32_t>{1}));
  EXPECT_TRUE(ch->vanished.empty());
  EXPECT_FALSE(b->uidvalidity_changed());
  EXPECT_EQ(a->uidvalidity(), b->uidvalidity());
}

TEST(MboxMailbox, DeliveriesGetUidsThatStay) {
  TempDir d;
  const std::string path = d / "u";
  deliver(path, "Subject: one\n\nbody one\n");
  deliver(path, "Subject: two\n\nFrom the start\n");
  uint32_t validity;
  {
    auto mb = open_box(path);
    ASSERT_TRUE(mb);
    EXPECT_EQ(uids(*mb), (std::vector<uint32_t>{1, 2}));
    validity = mb->uidvalidity();
    auto two = mb->read(2);
    ASSERT_TRUE(two);
    EXPECT_EQ(*two, "Subject: two\n\nFrom the start\n");  // ">From" quoting undone
    EXPECT_EQ(mb->find(2)->size_bytes, two->size());
    EXPECT_EQ(*mb->crlf_size(2), two->size() + 3);
  }
  std::string file = slurp(path);
  EXPECT_NE(file.find("X-IMAPbase: " + std::to_string(validity)), std::string::npos);
  EXPECT_NE(file.find("X-UID: 2\n"), std::string::npos);
  EXPECT_NE(file.find("\n>From the start\n"), std::string::npos);
  deliver(path, "Subject: three\n\nx\n");
  auto mb = open_box(path);
  ASSERT_TRUE(mb);
  EXPECT_EQ(mb->uidvalidity(), validity);
  EXPECT_EQ(uids(*mb), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(*mb->read(1), "Subject: one\n\nbody one\n");
}

TEST(MboxMailbox, FlagsAreWrittenAsStatusAndXStatus) {
  TempDir d;
  const std::string path = d / "u";
  deliver(path, "Subject: one\n\nx\n");
  deliver(path, "Subject: two\n\ny\n");
  auto mb = open_box(path);
  ASSERT_TRUE(mb);
  auto f = mb->set_flags(2, kFlagSeen | kFlagFlagged | kFlagAnswered, 0);
  ASSERT_TRUE(f) << f.error().detail;
  EXPECT_EQ(*f, kFlagSeen | kFlagFlagged | kFlagAnswered);
  auto k = mb->set_keywords(1, {"$Junk"}, {});
  ASSERT_TRUE(k) << k.error().detail;
  std::string file = slurp(path);
  EXPECT_NE(file.find("X-UID: 2\nStatus: RO\nX-Status: AF\n"), std::string::npos) << file;
  EXPECT_NE(file.find("X-Keywords: $Junk\n"), std::string::npos) << file;
  EXPECT_EQ(mb->find(2)->flags, kFlagSeen | kFlagFlagged | kFlagAnswered);
  auto again = open_box(path);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->find(2)->flags, kFlagSeen | kFlagFlagged | kFlagAnswered);
  EXPECT_EQ(again->find(1)->keywords, (std::vector<std::string>{"$Junk"}));
  EXPECT_EQ(*again->read(2), "Subject: two\n\ny\n");
  EXPECT_FALSE(mb->set_keywords(1, {"bad(kw"}, {}));
  EXPECT_FALSE(mb->set_flags(99, kFlagSeen, 0));
  EXPECT_TRUE(is_gone(mb->set_flags(99, kFlagSeen, 0).error()));
}

TEST(MboxMailbox, ExpungeOfTheFirstKeepsTheBase) {
  TempDir d;
  const std::string path = d / "u";
  for (int i = 0; i < 3; ++i) deliver(path, "Subject: m" + std::to_string(i) + "\n\nx\n");
  auto mb = open_box(path);
  ASSERT_TRUE(mb);
  uint32_t validity = mb->uidvalidity();
  ASSERT_TRUE(mb->expunge(1).ok());
  EXPECT_EQ(uids(*mb), (std::vector<uint32_t>{2, 3}));
  ASSERT_TRUE(mb->expunge(3).ok());  // the highest: uidnext must not fall back
  std::string file = slurp(path);
  EXPECT_EQ(file.find("Subject: m0"), std::string::npos);
  EXPECT_TRUE(file.starts_with("From "));
  EXPECT_NE(file.find("X-IMAPbase: " + std::to_string(validity)), std::string::npos);
  deliver(path, "Subject: new\n\nz\n");
  auto again = open_box(path);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->uidvalidity(), validity);
  EXPECT_EQ(uids(*again), (std::vector<uint32_t>{2, 4}));
  EXPECT_EQ(*again->read(2), "Subject: m1\n\nx\n");
}

// X-IMAPbase's uidnext lags after UIDs given at the end of the file; an
// expunge of the highest UID must write it, or the UID would come back.
TEST(MboxMailbox, ExpungeOfTheHighestUidKeepsItUsed) {
  TempDir d;
  const std::string path = d / "u";
  deliver(path, "Subject: a\n\nx\n");
  deliver(path, "Subject: b\n\nx\n");
  { ASSERT_TRUE(open_box(path)); }
  deliver(path, "Subject: c\n\nx\n");
  auto mb = open_box(path);
  ASSERT_TRUE(mb);
  EXPECT_EQ(uids(*mb), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_NE(slurp(path).find(" 0000000003\n"), std::string::npos);  // the base lags
  ASSERT_TRUE(mb->expunge(3).ok());
  EXPECT_NE(slurp(path).find(" 0000000004\n"), std::string::npos);
  mb.reset();
  deliver(path, "Subject: d\n\nx\n");
  auto again = open_box(path);
  ASSERT_TRUE(again);
  EXPECT_EQ(uids(*again), (std::vector<uint32_t>{1, 2, 4}));
}

// Another program put a message without X-UID between two numbered ones:
// it gets the next UID, and messages() still ascends.
TEST(MboxMailbox, FreshMessageInTheMiddle) {
  TempDir d;
  const std::string path = d / "u";
  deliver(path, "Subject: a\n\nx\n");
  deliver(path, "Subject: c\n\nx\n");
  { ASSERT_TRUE(open_box(path)); }
  std::string file = slurp(path);
  size_t second = file.find("\nFrom ") + 1;
  file.insert(second, "From someone Mon Nov 23 09:40:01 2026\nSubject: b\n\ninserted\n\n");
  { std::ofstream(path, std::ios::binary | std::ios::trunc) << file; }
  auto mb = open_box(path);
  ASSERT_TRUE(mb);
  auto u = uids(*mb);
  ASSERT_EQ(u.size(), 3u);
  EXPECT_TRUE(std::is_sorted(u.begin(), u.end()));
  EXPECT_EQ(u[0], 1u);
  for (uint32_t uid : u) EXPECT_TRUE(mb->read(uid)) << uid;
  auto b = std::find_if(mb->messages().begin(), mb->messages().end(),
                        [&](const MessageInfo& m) { return *mb->read(m.uid) == "Subject: b\n\ninserted\n"; });
  EXPECT_NE(b, mb->messages().end());
}

TEST(MboxMailbox, AppendAndCopyBetweenTwoFiles) {
  TempDir d;
  auto a = open_box(d / "a");
  ASSERT_TRUE(a);
  auto uid = a->append("Subject: appended\n\nFrom me\n", kFlagSeen, 1795426801);
  ASSERT_TRUE(uid) << uid.error().detail;
  EXPECT_EQ(*uid, 1u);
  EXPECT_TRUE(a->messages().empty());  // until refresh
  auto ch = a->refresh();
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->appeared, (std::vector<uint32_t>{1}));
  EXPECT_EQ(a->find(1)->flags, kFlagSeen);
  EXPECT_EQ(a->find(1)->internal_date_s, 1795426801);
  EXPECT_EQ(*a->read(1), "Subject: appended\n\nFrom me\n");
  auto b = open_box(d / "b");
  ASSERT_TRUE(b);
  ASSERT_TRUE(a->set_keywords(1, {"Work"}, {}));
  auto copied = a->copy_to(1, *b);
  ASSERT_TRUE(copied) << copied.error().detail;
  ASSERT_TRUE(b->refresh());
  EXPECT_EQ(*b->read(*copied), "Subject: appended\n\nFrom me\n");
  EXPECT_EQ(b->find(*copied)->keywords, (std::vector<std::string>{"Work"}));
  EXPECT_EQ(b->find(*copied)->flags, kFlagSeen);
}

size_t resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  return 0;
}

// A draft is quoted as it comes and spooled to a file: a "From " line cut
// across two pieces is still quoted (and read back as sent), and 48 MiB
// written in 64 KiB pieces do not grow the process by anything like that.
TEST(MboxMailbox, ADraftIsQuotedInPiecesAndNotHeldInMemory) {
  TempDir d;
  auto a = open_box(d / "a");
  ASSERT_TRUE(a);
  {
    auto draft = a->begin_append();
    ASSERT_TRUE(draft) << draft.error().detail;
    for (std::string_view piece : {"Subject: pieces\n\nFr", "om the start\n>Fro", "m quoted\nFrom", " again"})
      ASSERT_TRUE((*draft)->write(piece));
    auto uid = (*draft)->commit(0, {}, 1795426801);
    ASSERT_TRUE(uid) << uid.error().detail;
  }
  const std::string file = slurp(d / "a");
  EXPECT_NE(file.find("\n>From the start\n>>From quoted\n>From again\n\n"), std::string::npos) << file;
  ASSERT_TRUE(a->refresh());
  ASSERT_EQ(a->messages().size(), 1u);
  EXPECT_EQ(*a->read(a->messages()[0].uid), "Subject: pieces\n\nFrom the start\n>From quoted\nFrom again\n");

  const size_t before = resident_kib();
  auto draft = a->begin_append();
  ASSERT_TRUE(draft);
  std::string piece(64 * 1024, 'x');
  for (size_t i = 63; i < piece.size(); i += 64) piece[i] = '\n';
  ASSERT_TRUE((*draft)->write("Subject: big\n\n"));
  for (int i = 0; i < 768; ++i) ASSERT_TRUE((*draft)->write(piece));
  const size_t during = resident_kib();
  auto uid = (*draft)->commit(0, {}, 0);
  ASSERT_TRUE(uid) << uid.error().detail;
  EXPECT_LT(during, before + 16 * 1024) << "KiB resident before " << before << ", with the draft " << during;
  ASSERT_TRUE(a->refresh());
  ASSERT_EQ(a->messages().size(), 2u);
  EXPECT_EQ(a->find(*uid)->size_bytes, std::string_view("Subject: big\n\n").size() + 768 * piece.size());
}

TEST(MboxMailbox, TwoObjectsOnOneFileSeeEachOther) {
  TempDir d;
  const std::string path = d / "u";
  deliver(path, "Subject: one\n\nx\n");
  auto a = open_box(path), b = open_box(path);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->uidvalidity(), b->uidvalidity());
  ASSERT_TRUE(a->set_flags(1, kFlagSeen, 0));
  deliver(path, "Subject: two\n\ny\n");
  auto ch = b->refresh();
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->flags_changed, (std::vector<uint32_t>{1}));
  EXPECT_EQ(ch->appeared, (std::vector<uint32_t>{2}));
  ASSERT_TRUE(b->expunge(1).ok());
  ch = a->refresh();
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->vanished, (std::vector<uint32_t>{1}));
  EXPECT_EQ(ch->appeared, (std::vector<uint32_t>{2}));
  EXPECT_EQ(*a->read(2), "Subject: two\n\ny\n");
  // a reads a message b's change moved in the file.
  ASSERT_TRUE(b->set_flags(2, kFlagDeleted, 0));
  EXPECT_EQ(*a->read(2), "Subject: two\n\ny\n");
  EXPECT_FALSE(a->message_key(2).empty());
  EXPECT_NE(a->message_key(2), b->message_key(1));
}

TEST(MboxMailbox, ReadOfAMessageExpungedElsewhereIsGone) {
  TempDir d;
  const std::string path = d / "u";
  deliver(path, "Subject: one\n\nx\n");
  auto a = open_box(path), b = open_box(path);
  ASSERT_TRUE(b->expunge(1).ok());
  auto r = a->read(1);
  ASSERT_FALSE(r);
  EXPECT_TRUE(is_gone(r.error()));
}

TEST(MboxMailbox, NotAnMboxIsATemporaryErrorAndUntouched) {
  TempDir d;
  const std::string path = d / "u";
  { std::ofstream(path) << "just text\n"; }
  auto mb = MboxMailbox::open(path, "INBOX");
  ASSERT_FALSE(mb);
  EXPECT_FALSE(mb.error().is_permanent());
  EXPECT_EQ(slurp(path), "just text\n");
}

TEST(MboxMailbox, RefusesSymlinks) {
  TempDir d;
  deliver(d / "real", "Subject: x\n\ny\n");
  ASSERT_EQ(::symlink((d / "real").c_str(), (d / "u").c_str()), 0);
  EXPECT_FALSE(MboxMailbox::open(d / "u", "INBOX"));
}

}  // namespace
}  // namespace tern::store
