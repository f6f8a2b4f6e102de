// Tests for the Maildir reader on real temporary directories: UIDs stable
// across reopen, delivery by the existing writer picked up, flags in file
// names, two sessions seeing each other's changes, the index lost, damaged
// or behind the files (a crash between message and index), folders.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "base/deferred_close.h"
#include "store/maildir.h"
#include "store/maildir_mailbox.h"
#include "store/maildir_name.h"
#include "store/maildir_store.h"
#include "store/store_test_util.h"
#include "store/uidlist.h"
#include "store/uidlist_file.h"

using namespace tern::store;
using test_util::drafts_in;
using test_util::open_ok;
using test_util::slurp;
using test_util::TempDir;
using test_util::uids;
namespace stdfs = std::filesystem;

namespace {

std::unique_ptr<Mailbox> create_and_open(MailStore& store, std::string_view folder) {
  EXPECT_TRUE(store.create(folder));
  return open_ok(store, folder);
}

TEST(MaildirMailbox, AppendThenReopenKeepsUids) {
  TempDir t;
  MaildirStore store(t / "acct");
  uint32_t validity = 0;
  {
    auto mb = open_ok(store, "INBOX");
    EXPECT_TRUE(mb->messages().empty());
    validity = mb->uidvalidity();
    EXPECT_NE(validity, 0u);
    EXPECT_EQ(mb->uidnext(), 1u);
    auto a = mb->append("Subject: a\n\nA\n", kFlagSeen, 1000000000);
    auto b = mb->append("Subject: b\n\nB\n", 0, 0);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(*a, 1u);
    EXPECT_EQ(*b, 2u);
    auto ch = mb->refresh();
    ASSERT_TRUE(ch);
    EXPECT_EQ(ch->appeared, (std::vector<uint32_t>{1, 2}));
  }
  auto mb = open_ok(store, "inbox");
  EXPECT_EQ(mb->uidvalidity(), validity);
  EXPECT_EQ(uids(*mb), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(mb->uidnext(), 3u);
  const MessageInfo* a = mb->find(1);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->flags, kFlagSeen);
  EXPECT_EQ(a->internal_date_s, 1000000000);
  EXPECT_EQ(a->size_bytes, 14u);
  EXPECT_EQ(*mb->read(1), "Subject: a\n\nA\n");
  EXPECT_EQ(*mb->read(2), "Subject: b\n\nB\n");
  // The index is Dovecot's: header first, then "<uid> :<base>", the second
  // record appended in place (the header's next UID lags, as Dovecot's does).
  std::string idx = slurp(t / "acct/dovecot-uidlist");
  EXPECT_EQ(idx.substr(0, 3 + std::to_string(validity).size()), "3 V" + std::to_string(validity));
  EXPECT_NE(idx.find("\n1 :"), std::string::npos);
  EXPECT_NE(idx.find("\n2 :"), std::string::npos);
  auto parsed = parse_uidlist(idx);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->next_uid, 3u);
}

TEST(MaildirMailbox, DeliveredMessageGetsTheNextUidAndMovesToCur) {
  TempDir t;
  MaildirStore store(t / "acct");
  auto mb = open_ok(store, "INBOX");
  ASSERT_TRUE(mb->append("x\n", 0, 0));
  ASSERT_TRUE(mb->refresh());  // an append shows in the snapshot after refresh()
  ASSERT_TRUE(mb->expunge(1));
  auto name = maildir_deliver(t / "acct", "", "Subject: hi\n\nbody\n");
  ASSERT_TRUE(name);
  auto ch = mb->refresh();
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->appeared, (std::vector<uint32_t>{2}));  // 1 is never reused
  EXPECT_TRUE(ch->vanished.empty());
  EXPECT_FALSE(stdfs::exists(t / ("acct/new/" + *name)));
  EXPECT_TRUE(stdfs::exists(t / ("acct/cur/" + *name + ":2,")));
  EXPECT_EQ(mb->find(2)->size_bytes, 18u);
  EXPECT_EQ(*mb->read(2), "Subject: hi\n\nbody\n");
}

TEST(MaildirMailbox, FlagsRoundTripThroughFileNames) {
  TempDir t;
  MaildirStore store(t / "acct");
  auto mb = open_ok(store, "INBOX");
  ASSERT_TRUE(mb->append("x\n", kFlagDraft, 0));
  ASSERT_TRUE(mb->refresh());
  auto f = mb->set_flags(1, kFlagSeen | kFlagFlagged | kFlagDeleted, kFlagDraft);
  ASSERT_TRUE(f);
  EXPECT_EQ(*f, kFlagSeen | kFlagFlagged | kFlagDeleted);
  std::string path = mb->find(1)->path;
  EXPECT_EQ(path.substr(path.size() - 6), ":2,FST");
  EXPECT_TRUE(stdfs::exists(path));
  // A Dovecot keyword in the name survives a change of standard flags.
  stdfs::rename(path, path + "b");
  ASSERT_TRUE(mb->refresh());
  ASSERT_TRUE(mb->set_flags(1, kFlagAnswered, kFlagDeleted));
  EXPECT_EQ(mb->find(1)->path.substr(mb->find(1)->path.size() - 7), ":2,FRSb");
  auto again = open_ok(store, "INBOX");
  EXPECT_EQ(again->find(1)->flags, kFlagSeen | kFlagFlagged | kFlagAnswered);
}

TEST(MaildirMailbox, KeywordsAreDovecotLettersNamedPerFolder) {
  TempDir t;
  MaildirStore store(t / "acct");
  auto junk = create_and_open(store, "Junk");
  auto one = open_ok(store, "INBOX");
  auto two = open_ok(store, "INBOX");
  ASSERT_TRUE(junk->set_keywords(0, {"x"}, {}).error().is_permanent());  // no such UID
  ASSERT_TRUE(junk->append("j\n", 0, 0));
  ASSERT_TRUE(junk->refresh());
  ASSERT_TRUE(junk->set_keywords(1, {"Other"}, {}));  // Junk's 'a' is Other
  ASSERT_TRUE(one->append("m\n", kFlagSeen, 0));
  ASSERT_TRUE(one->refresh());
  auto kw = one->set_keywords(1, {"$Junk", "$Forwarded"}, {});
  ASSERT_TRUE(kw);
  EXPECT_EQ(*kw, (std::vector<std::string>{"$Junk", "$Forwarded"}));
  EXPECT_EQ(slurp(t / "acct/dovecot-keywords"), "0 $Junk\n1 $Forwarded\n");
  std::string path = one->find(1)->path;
  EXPECT_EQ(path.substr(path.size() - 6), ":2,Sab");
  // Case-insensitive; removing one keeps the other and the flags.
  kw = one->set_keywords(1, {}, {"$junk"});
  EXPECT_EQ(*kw, (std::vector<std::string>{"$Forwarded"}));
  EXPECT_EQ(one->find(1)->flags, kFlagSeen);
  auto ch = two->refresh();
  EXPECT_EQ(ch->appeared, (std::vector<uint32_t>{1}));
  EXPECT_EQ(two->find(1)->keywords, (std::vector<std::string>{"$Forwarded"}));
  ASSERT_TRUE(two->set_keywords(1, {"$Junk"}, {}));
  ch = one->refresh();
  EXPECT_EQ(ch->flags_changed, (std::vector<uint32_t>{1}));
  EXPECT_EQ(one->keywords(), (std::vector<std::string>{"$Junk", "$Forwarded"}));
  // COPY names the keywords in the destination's own table.
  auto uid = one->copy_to(1, *junk);
  ASSERT_TRUE(uid);
  ASSERT_TRUE(junk->refresh());
  auto got = junk->find(*uid)->keywords;
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"$Forwarded", "$Junk"}));
  // Bad names and a 27th keyword are refused.
  EXPECT_FALSE(one->set_keywords(1, {"\\Seen"}, {}));
  EXPECT_FALSE(one->set_keywords(1, {"a b"}, {}));
  std::vector<std::string> many;
  for (int i = 0; i < 25; ++i) many.push_back("k" + std::to_string(i));
  auto full = one->set_keywords(1, many, {});
  ASSERT_FALSE(full);
  EXPECT_TRUE(full.error().is_permanent());
}

TEST(MaildirMailbox, TwoSessionsSeeEachOthersChanges) {
  TempDir t;
  MaildirStore store(t / "acct");
  auto one = open_ok(store, "INBOX");
  auto two = open_ok(store, "INBOX");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(one->append("m\n", 0, 0));
  ASSERT_TRUE(one->refresh());
  auto ch = two->refresh();
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->appeared, (std::vector<uint32_t>{1, 2, 3}));
  ASSERT_TRUE(one->expunge(2));
  ASSERT_TRUE(one->set_flags(3, kFlagSeen, 0));
  ch = two->refresh();
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->vanished, (std::vector<uint32_t>{2}));
  EXPECT_EQ(ch->flags_changed, (std::vector<uint32_t>{3}));
  EXPECT_TRUE(ch->appeared.empty());
  EXPECT_EQ(two->find(3)->flags, kFlagSeen);
  // two changes flags from its stale name: it follows the rename.
  auto f = two->set_flags(3, kFlagFlagged, 0);
  ASSERT_TRUE(f);
  EXPECT_EQ(*f, kFlagSeen | kFlagFlagged);
  // one still has the old name for 3: read and expunge follow it.
  EXPECT_EQ(*one->read(3), "m\n");
  ASSERT_TRUE(one->expunge(3));
  ch = two->refresh();
  EXPECT_EQ(ch->vanished, (std::vector<uint32_t>{3}));
  EXPECT_EQ(uids(*two), (std::vector<uint32_t>{1}));
  // A message expunged meanwhile: reading it is a permanent error.
  ASSERT_TRUE(one->expunge(1));
  auto r = two->read(1);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().is_permanent());
  // Appends from both interleave without a UID given twice.
  auto a = one->append("a\n", 0, 0);
  auto b = two->append("b\n", 0, 0);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, 4u);
  EXPECT_EQ(*b, 5u);
}

// Several messages go in one call: one renamed by another session meanwhile
// (followed), one already expunged by it (not an error), one unknown UID
// (ignored); the snapshot loses exactly the removed ones, the others stay.
TEST(MaildirMailbox, ExpungeAllFollowsRenamesAndSkipsTheGone) {
  TempDir t;
  MaildirStore store(t / "acct");
  auto one = open_ok(store, "INBOX");
  auto two = open_ok(store, "INBOX");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(one->append("m" + std::to_string(i) + "\n", 0, 0));
  ASSERT_TRUE(one->refresh());
  ASSERT_TRUE(two->refresh());
  ASSERT_TRUE(two->set_flags(2, kFlagSeen, 0));  // one still knows 2 by its old name
  ASSERT_TRUE(two->expunge(4));
  ASSERT_TRUE(one->expunge_all({2, 4, 5, 99}));
  EXPECT_EQ(uids(*one), (std::vector<uint32_t>{1, 3}));
  size_t files = 0;
  for (const auto& e : stdfs::directory_iterator(t / "acct/cur")) files += e.is_regular_file();
  EXPECT_EQ(files, 2u);
  auto ch = two->refresh();
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->vanished, (std::vector<uint32_t>{2, 5}));
  EXPECT_EQ(*one->read(3), "m2\n");
  EXPECT_TRUE(one->expunge_all({}));
  // The expunged files were held open across their unlink and handed to
  // the closing thread: once it is done, none is held any more.
  tern::fs::drain_closes();
  const std::string cur = t / "acct/cur/";  // its files; the folder itself stays open
  for (const auto& e : stdfs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    auto target = stdfs::read_symlink(e.path(), ec).string();
    EXPECT_FALSE(target.starts_with(cur)) << target;
  }
}

// New records are appended to dovecot-uidlist in place; records of expunged
// messages stay there until they outnumber 64 and a quarter of the live
// ones, when the next change rewrites the file without them. UIDs go on
// ascending either way.
TEST(MaildirMailbox, IndexGrowsInPlaceAndIsRewrittenWhenMostlyStale) {
  TempDir t;
  MaildirStore store(t / "acct");
  auto mb = open_ok(store, "INBOX");
  auto lines = [&] {
    std::string idx = slurp(t / "acct/dovecot-uidlist");
    return static_cast<size_t>(std::count(idx.begin(), idx.end(), '\n')) - 1;  // records
  };
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(mb->append("m\n", 0, 0));
  ASSERT_TRUE(mb->refresh());
  struct stat st;
  ASSERT_EQ(::stat((t / "acct/dovecot-uidlist").c_str(), &st), 0);
  const ino_t ino = st.st_ino;
  EXPECT_EQ(lines(), 100u);
  std::vector<uint32_t> first_ten;
  for (uint32_t u = 1; u <= 10; ++u) first_ten.push_back(u);
  ASSERT_TRUE(mb->expunge_all(first_ten));
  auto next = mb->append("n\n", 0, 0);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, 101u);
  EXPECT_EQ(lines(), 101u);  // appended; the ten stale records stay
  ASSERT_EQ(::stat((t / "acct/dovecot-uidlist").c_str(), &st), 0);
  EXPECT_EQ(st.st_ino, ino);  // the same file, grown
  ASSERT_TRUE(mb->refresh());
  std::vector<uint32_t> most;
  for (uint32_t u = 11; u <= 95; ++u) most.push_back(u);
  ASSERT_TRUE(mb->expunge_all(most));
  next = mb->append("o\n", 0, 0);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, 102u);
  EXPECT_EQ(lines(), 7u);  // 96..102: rewritten without the 95 stale ones
  auto reopened = open_ok(store, "INBOX");
  EXPECT_EQ(reopened->uidnext(), 103u);
  EXPECT_EQ(reopened->messages().size(), 7u);
}

// An append numbers its message alone under the lock, without listing
// cur/: a file another program put there meanwhile (no UID yet) is
// numbered by the next refresh, after it; neither is lost or renumbered,
// and the index keeps both.
TEST(MaildirMailbox, AppendLeavesAnUnnumberedFileToTheNextRefresh) {
  TempDir t;
  MaildirStore store(t / "acct");
  auto mb = open_ok(store, "INBOX");
  ASSERT_TRUE(mb->append("a\n", 0, 0));
  ASSERT_TRUE(mb->refresh());
  std::ofstream(t / "acct/cur/1700000000.M1P1Q1.other,S=2:2,S") << "o\n";
  auto b = mb->append("b\n", 0, 0);
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, 2u);
  auto ch = mb->refresh();
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->appeared, (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(*mb->read(2), "b\n");
  EXPECT_EQ(*mb->read(3), "o\n");
  EXPECT_EQ(mb->find(3)->flags, kFlagSeen);
  auto reopened = open_ok(store, "INBOX");
  EXPECT_EQ(uids(*reopened), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(*reopened->read(3), "o\n");
}

TEST(MaildirMailbox, LostIndexIsRebuiltWithANewUidvalidity) {
  TempDir t;
  MaildirStore store(t / "acct");
  uint32_t validity = 0;
  {
    auto mb = open_ok(store, "INBOX");
    ASSERT_TRUE(mb->append("a\n", 0, 0));
    ASSERT_TRUE(mb->append("b\n", 0, 0));
    validity = mb->uidvalidity();
  }
  auto two = open_ok(store, "INBOX");
  ASSERT_TRUE(stdfs::remove(t / "acct/dovecot-uidlist"));
  auto mb = open_ok(store, "INBOX");
  EXPECT_GT(mb->uidvalidity(), validity);
  EXPECT_EQ(uids(*mb), (std::vector<uint32_t>{1, 2}));
  // A session that was open sees the change and must drop its UIDs.
  auto ch = two->refresh();
  ASSERT_TRUE(ch);
  EXPECT_TRUE(static_cast<MaildirMailbox&>(*two).uidvalidity_changed());
  EXPECT_EQ(two->uidvalidity(), mb->uidvalidity());
}

TEST(MaildirMailbox, DamagedIndexIsRebuilt) {
  TempDir t;
  MaildirStore store(t / "acct");
  uint32_t validity = 0;
  {
    auto mb = open_ok(store, "INBOX");
    ASSERT_TRUE(mb->append("a\n", 0, 0));
    validity = mb->uidvalidity();
  }
  for (const char* junk : {"3 V1 N2\n1 :../../etc/passwd\n", "garbage", "3 V5 N9"}) {
    {
      std::ofstream out(t / "acct/dovecot-uidlist", std::ios::trunc | std::ios::binary);
      out << junk;
    }
    auto mb = open_ok(store, "INBOX");
    EXPECT_GT(mb->uidvalidity(), validity) << junk;
    validity = mb->uidvalidity();
    EXPECT_EQ(uids(*mb), (std::vector<uint32_t>{1}));
    EXPECT_EQ(*mb->read(1), "a\n");
    EXPECT_TRUE(parse_uidlist(slurp(t / "acct/dovecot-uidlist")));
  }
}

TEST(MaildirMailbox, CrashBetweenMessageAndIndexReusesNoUid) {
  TempDir t;
  MaildirStore store(t / "acct");
  uint32_t validity = 0;
  {
    auto mb = open_ok(store, "INBOX");
    ASSERT_TRUE(mb->append("a\n", 0, 0));
    ASSERT_TRUE(mb->append("b\n", 0, 0));
    ASSERT_TRUE(mb->refresh());
    ASSERT_TRUE(mb->expunge(2));
    validity = mb->uidvalidity();
  }
  // As if a writer had put a message into cur/ and died before the index,
  // leaving its lock behind.
  std::string index_before = slurp(t / "acct/dovecot-uidlist");
  {
    std::ofstream(t / "acct/cur/1800000000.M1P1Q1.crashed,S=2:2,S") << "c\n";
    std::ofstream(t / "acct/dovecot-uidlist.lock") << "999999999:" << [] {
      char b[256] = {};
      ::gethostname(b, sizeof b - 1);
      return std::string(b);
    }();
  }
  auto mb = open_ok(store, "INBOX");
  EXPECT_EQ(mb->uidvalidity(), validity);
  EXPECT_EQ(uids(*mb), (std::vector<uint32_t>{1, 3}));  // not 2, which was expunged
  EXPECT_EQ(mb->find(3)->flags, kFlagSeen);
  EXPECT_FALSE(stdfs::exists(t / "acct/dovecot-uidlist.lock"));  // the dead holder's lock broken
  EXPECT_NE(slurp(t / "acct/dovecot-uidlist"), index_before);
}

// A draft is an unnamed file of cur/ where the file system allows (nothing
// of it shows in cur/ or tmp/ until it is committed, nothing is left when
// it is dropped), else a file of tmp/ (removed when dropped); both commit
// the same message, and the second kind still works beside the first.
TEST(MaildirMailbox, DraftsAreUnnamedFilesOrFilesOfTmp) {
  TempDir t;
  MaildirStore store(t / "acct");
  auto mb = open_ok(store, "INBOX");
  auto entries = [&](const char* sub) {
    return std::distance(stdfs::directory_iterator(t / ("acct/" + std::string(sub))), stdfs::directory_iterator());
  };
  for (bool named : {false, true}) {
    MaildirMailbox::set_named_drafts_only(named);
    {
      auto dropped = mb->begin_append();
      ASSERT_TRUE(dropped);
      ASSERT_TRUE((*dropped)->write("dropped\n"));
      EXPECT_EQ(drafts_in(t / "acct/tmp").size(), named ? 1u : 0u);
    }
    EXPECT_EQ(drafts_in(t / "acct/tmp"), std::vector<std::string>{});
    auto kept = mb->begin_append();
    ASSERT_TRUE(kept);
    ASSERT_TRUE((*kept)->write("Subject: x\n\n"));
    ASSERT_TRUE((*kept)->write(named ? "named\n" : "unnamed\n"));
    EXPECT_EQ(entries("cur"), named ? 1 : 0);  // the first message, once committed
    auto uid = (*kept)->commit(kFlagFlagged, {"$Kept"}, 1000000000);
    ASSERT_TRUE(uid);
    EXPECT_EQ(drafts_in(t / "acct/tmp"), std::vector<std::string>{});
  }
  MaildirMailbox::set_named_drafts_only(false);
  EXPECT_EQ(entries("cur"), 2);
  auto reopened = open_ok(store, "INBOX");
  ASSERT_EQ(uids(*reopened), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(*reopened->read(1), "Subject: x\n\nunnamed\n");
  EXPECT_EQ(*reopened->read(2), "Subject: x\n\nnamed\n");
  for (uint32_t u : {1u, 2u}) {
    EXPECT_EQ(reopened->find(u)->flags, kFlagFlagged);
    EXPECT_EQ(reopened->find(u)->keywords, std::vector<std::string>{"$Kept"});
    EXPECT_EQ(reopened->find(u)->internal_date_s, 1000000000);
  }
}

TEST(MaildirMailbox, AppendWhoseIndexCannotBeWrittenLeavesNothing) {
  TempDir t;
  MaildirStore store(t / "acct");
  auto mb = open_ok(store, "INBOX");
  ASSERT_TRUE(mb->append("a\n", 0, 0));
  auto refused = [&](const char* bytes) {
    auto r = mb->append(bytes, 0, 0);
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().is_temporary());
    EXPECT_EQ(std::distance(stdfs::directory_iterator(t / "acct/cur"), stdfs::directory_iterator()), 1);
    EXPECT_EQ(drafts_in(t / "acct/tmp"), std::vector<std::string>{});
    EXPECT_FALSE(stdfs::exists(t / "acct/dovecot-uidlist.lock"));
  };
  // The append in place fails: the file may not grow (EFBIG).
  ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit before;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &before), 0);
  struct rlimit small = before;
  small.rlim_cur = stdfs::file_size(t / "acct/dovecot-uidlist");
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  refused("b\n");
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &before), 0);
  // The rewrite fails: a torn last line forces one, and its file cannot be made.
  { std::ofstream(t / "acct/dovecot-uidlist", std::ios::app) << "77 :half"; }
  stdfs::create_directory(t / "acct/dovecot-uidlist.tmp");
  refused("c\n");
  stdfs::remove(t / "acct/dovecot-uidlist.tmp");
  auto again = mb->append("d\n", 0, 0);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 2u);  // the NO'd appends' UIDs were never on disk nor told
  auto ch = mb->refresh();
  EXPECT_EQ(ch->appeared, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(*mb->read(2), "d\n");
  EXPECT_EQ(slurp(t / "acct/dovecot-uidlist").back(), '\n');  // rewritten: the torn line is gone
}

TEST(MaildirMailbox, ConcurrentWritersNeverShareAUid) {
  TempDir t;
  MaildirStore store(t / "acct");
  ASSERT_TRUE(store.open("INBOX"));
  constexpr int kWriters = 3, kEach = 40;
  std::vector<pid_t> kids;
  for (int w = 0; w < kWriters; ++w) {
    pid_t pid = ::fork();
    if (pid == 0) {
      MaildirStore mine(t / "acct");
      auto mb = mine.open("INBOX");
      int bad = mb ? 0 : 1;
      for (int i = 0; mb && i < kEach; ++i) {
        if (!(*mb)->append("w" + std::to_string(w) + "\n", 0, 0)) ++bad;
        if (i % 7 == 0 && !(*mb)->refresh()) ++bad;  // readers racing the writers
      }
      ::_exit(bad ? 1 : 0);
    }
    kids.push_back(pid);
  }
  // Deliveries by the existing writer race them too.
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(maildir_deliver(t / "acct", "", "d\n"));
  for (pid_t k : kids) {
    int status = 0;
    ASSERT_EQ(::waitpid(k, &status, 0), k);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto mb = open_ok(store, "INBOX");
  ASSERT_EQ(mb->messages().size(), size_t{kWriters * kEach + 20});
  EXPECT_EQ(mb->messages().back().uid, uint32_t{kWriters * kEach + 20});  // dense: no UID lost or doubled
  auto index = parse_uidlist(slurp(t / "acct/dovecot-uidlist"));
  ASSERT_TRUE(index);
  EXPECT_EQ(index->records.size(), size_t{kWriters * kEach + 20});
}

// RELIABILITY.md case 40 at the store's level: a writer killed with
// SIGKILL at any moment keeps every append it was told had succeeded, the
// UIDVALIDITY, and no UID is handed out twice afterwards.
TEST(MaildirMailbox, KillNineDuringAppendsLosesNothingAcknowledged) {
  for (int round = 0; round < 3; ++round) {
    TempDir t;
    MaildirStore store(t / "acct");
    uint32_t validity = open_ok(store, "INBOX")->uidvalidity();
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      MaildirStore mine(t / "acct");
      auto mb = mine.open("INBOX");
      for (uint32_t i = 0; mb; ++i) {
        auto uid = (*mb)->append("message " + std::to_string(i) + "\n", 0, 0);
        if (!uid) ::_exit(1);
        uint32_t pair[2] = {*uid, i};
        if (::write(fds[1], pair, sizeof pair) != sizeof pair) ::_exit(1);
      }
      ::_exit(1);
    }
    ::close(fds[1]);
    // Let it run for a while (a number of acknowledged appends), then kill.
    std::vector<std::pair<uint32_t, uint32_t>> acked;
    uint32_t pair[2];
    while (acked.size() < 30u + 17u * round && ::read(fds[0], pair, sizeof pair) == sizeof pair)
      acked.emplace_back(pair[0], pair[1]);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    while (::read(fds[0], pair, sizeof pair) == sizeof pair) acked.emplace_back(pair[0], pair[1]);
    ::close(fds[0]);
    auto mb = open_ok(store, "INBOX");
    EXPECT_EQ(mb->uidvalidity(), validity);
    for (auto [uid, i] : acked) {
      auto bytes = mb->read(uid);
      ASSERT_TRUE(bytes) << "UID " << uid << " acknowledged but missing";
      EXPECT_EQ(*bytes, "message " + std::to_string(i) + "\n");
    }
    uint32_t max_uid = mb->messages().empty() ? 0 : mb->messages().back().uid;
    EXPECT_GT(mb->uidnext(), max_uid);
    auto next = mb->append("after\n", 0, 0);
    ASSERT_TRUE(next);
    EXPECT_GT(*next, max_uid);
    EXPECT_TRUE(stdfs::is_empty(t / "acct/new"));
  }
}

TEST(MaildirMailbox, OpenMessageSurvivesExpungeAndRefusesASwappedInSymlink) {
  TempDir t;
  MaildirStore store(t / "acct");
  auto one = open_ok(store, "INBOX");
  auto two = open_ok(store, "INBOX");
  ASSERT_TRUE(one->append("kept open\n", 0, 0));
  ASSERT_TRUE(one->append("swapped\n", 0, 0));
  ASSERT_TRUE(one->refresh());
  ASSERT_TRUE(two->refresh());
  auto fd = one->open_message(1);
  ASSERT_TRUE(fd);
  ASSERT_TRUE(two->expunge(1));
  char buf[32] = {};
  EXPECT_EQ(::pread(fd->get(), buf, sizeof buf, 0), 10);
  EXPECT_EQ(std::string(buf), "kept open\n");
  // The file behind UID 2 replaced by a symlink to a secret: not followed.
  std::ofstream(t / "secret") << "secret\n";
  std::string path = one->find(2)->path;
  stdfs::remove(path);
  stdfs::create_symlink(t / "secret", path);
  auto r = one->read(2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().detail.find("secret\n"), std::string::npos);
  auto gone = one->read(1);  // expunged by two before one refreshed
  ASSERT_FALSE(gone);
  EXPECT_TRUE(gone.error().is_permanent());
}

TEST(MaildirMailbox, OpeningCleansOldFilesFromTmp) {
  TempDir t;
  MaildirStore store(t / "acct");
  ASSERT_TRUE(store.open("INBOX"));
  std::ofstream(t / "acct/tmp/old.writer") << "half";
  std::ofstream(t / "acct/tmp/fresh.writer") << "busy";
  std::ofstream(t / "target") << "not mine";
  stdfs::create_symlink(t / "target", t / "acct/tmp/old.link");
  struct timespec old[2] = {{::time(nullptr) - 37 * 3600, 0}, {::time(nullptr) - 37 * 3600, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (t / "acct/tmp/old.writer").c_str(), old, 0), 0);
  ASSERT_TRUE(store.open("INBOX"));
  EXPECT_FALSE(stdfs::exists(t / "acct/tmp/old.writer"));
  EXPECT_TRUE(stdfs::exists(t / "acct/tmp/fresh.writer"));  // may be an append in progress
  EXPECT_EQ(slurp(t / "target"), "not mine");
}

TEST(MaildirMailbox, SkipsSymlinksAndBadNames) {
  TempDir t;
  MaildirStore store(t / "acct");
  auto mb = open_ok(store, "INBOX");
  std::ofstream(t / "secret") << "secret\n";
  stdfs::create_symlink(t / "secret", t / "acct/cur/1700000000.link.host:2,");
  stdfs::create_symlink(t / "secret", t / "acct/new/1700000001.link.host");
  std::ofstream(t / "acct/cur/.hidden:2,") << "x\n";
  std::ofstream(t / "acct/cur/bad\nname:2,") << "x\n";
  auto ch = mb->refresh();
  ASSERT_TRUE(ch);
  EXPECT_TRUE(mb->messages().empty());
  EXPECT_EQ(slurp(t / "secret"), "secret\n");
}

TEST(MaildirMailbox, CopyLinksIntoAnotherFolder) {
  TempDir t;
  MaildirStore store(t / "acct");
  auto archive = create_and_open(store, "Archive");
  auto inbox = open_ok(store, "INBOX");
  ASSERT_TRUE(archive->append("z\n", 0, 0));
  ASSERT_TRUE(archive->refresh());
  ASSERT_TRUE(inbox->append("hello\n", kFlagSeen, 1200000000));
  ASSERT_TRUE(inbox->refresh());
  auto uid = inbox->copy_to(1, *archive);
  ASSERT_TRUE(uid);
  EXPECT_EQ(*uid, 2u);
  auto ch = archive->refresh();
  EXPECT_EQ(ch->appeared, (std::vector<uint32_t>{2}));
  EXPECT_EQ(*archive->read(2), "hello\n");
  EXPECT_EQ(archive->find(2)->flags, kFlagSeen);
  EXPECT_EQ(archive->find(2)->internal_date_s, 1200000000);
  // Expunging the original leaves the copy.
  ASSERT_TRUE(inbox->expunge(1));
  EXPECT_EQ(*archive->read(2), "hello\n");
}

TEST(MaildirStore, FoldersAreMaildirPlusPlus) {
  TempDir t;
  MaildirStore store(t / "acct");
  ASSERT_TRUE(store.create("Sent"));
  ASSERT_TRUE(store.create("Work.Projects"));
  EXPECT_TRUE(stdfs::is_directory(t / "acct/.Work.Projects/cur"));
  EXPECT_TRUE(stdfs::exists(t / "acct/.Sent/maildirfolder"));
  auto again = store.create("Sent");
  ASSERT_FALSE(again);
  EXPECT_TRUE(again.error().is_permanent());
  EXPECT_EQ(*store.list(), (std::vector<std::string>{"INBOX", "Sent", "Work.Projects"}));
  ASSERT_TRUE(store.create("Work"));
  ASSERT_TRUE(open_ok(store, "Work.Projects")->append("p\n", 0, 0));
  ASSERT_TRUE(store.rename("Work", "Job"));
  EXPECT_EQ(*store.list(), (std::vector<std::string>{"INBOX", "Job", "Job.Projects", "Sent"}));
  auto moved = open_ok(store, "Job.Projects");
  EXPECT_EQ(*moved->read(1), "p\n");
  EXPECT_FALSE(store.rename("Job", "Job.Sub"));
  EXPECT_FALSE(store.rename("Job", "Sent"));
  ASSERT_TRUE(store.remove("Job"));
  EXPECT_EQ(*store.list(), (std::vector<std::string>{"INBOX", "Job.Projects", "Sent"}));
  EXPECT_FALSE(store.remove("INBOX"));
  EXPECT_FALSE(store.remove("Nope"));
  EXPECT_FALSE(store.open("Nope"));
  // No leftovers of create/remove in the root.
  for (const auto& e : stdfs::directory_iterator(t / "acct"))
    EXPECT_EQ(e.path().filename().string().rfind("..", 0), std::string::npos) << e.path();
}

TEST(MaildirStore, AFolderDeletedUnderAnOpenSessionSaysSo) {
  TempDir t;
  MaildirStore store(t / "acct");
  ASSERT_TRUE(store.create("Old"));
  auto mb = open_ok(store, "Old");
  ASSERT_TRUE(mb->append("a\n", 0, 0));
  ASSERT_TRUE(store.remove("Old"));
  auto r = mb->refresh();
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().is_permanent());
  auto a = mb->append("b\n", 0, 0);
  ASSERT_FALSE(a);  // never an OK for a message that is gone
  EXPECT_TRUE(a.error().is_permanent());
  EXPECT_EQ(*store.list(), (std::vector<std::string>{"INBOX"}));
}

TEST(MaildirStore, RefusesNamesThatLeaveTheMaildir) {
  TempDir t;
  MaildirStore store(t / "acct");
  std::string deep;
  for (int i = 0; i < 300; ++i) deep += i ? ".a" : "a";
  for (std::string_view bad : std::initializer_list<std::string_view>{
           "../x", "a/../../b", "..", ".x", "x.", "a..b", "", "a/b", "a\nb", "~root/x"}) {
    auto st = store.create(bad);
    EXPECT_FALSE(st) << bad;
    EXPECT_FALSE(store.open(bad)) << bad;
  }
  EXPECT_FALSE(store.create(deep));
  EXPECT_FALSE(stdfs::exists(t / "x"));
  // A symlinked folder is neither listed nor opened.
  stdfs::create_directories(t / "elsewhere/cur");
  stdfs::create_directories(t / "elsewhere/new");
  stdfs::create_directories(t / "elsewhere/tmp");
  ASSERT_TRUE(store.list());
  stdfs::create_directory_symlink(t / "elsewhere", t / "acct/.Link");
  EXPECT_EQ(*store.list(), (std::vector<std::string>{"INBOX"}));
  EXPECT_FALSE(store.open("Link"));
}

}  // namespace

namespace {

// POP3 and IMAP report sizes with CRLF line ends: from the ",W=" of names
// tern writes, else counted from the file (a message another program
// delivered), with CRLFs already in the file not counted twice.
TEST(MaildirMailbox, CrlfSizeFromNameOrCountedFromFile) {
  TempDir t;
  MaildirStore store(t / "acct");
  auto mb = open_ok(store, "INBOX");
  ASSERT_TRUE(maildir_deliver(t / "acct", "", "Subject: a\n\nA\nB\n"));
  // Numbered before the append: names made within one second do not sort
  // by time (the microseconds are not zero-padded).
  ASSERT_TRUE(mb->refresh());
  ASSERT_TRUE(mb->append("Subject: b\r\n\r\nmixed\nends\r\n", 0, 0));
  stdfs::create_directories(t / "acct/new");
  std::ofstream(t / "acct/new/1800000000.M1P1Q1.other") << "X: y\r\n\nbody\r\n\r\n\n";
  ASSERT_TRUE(mb->refresh());
  ASSERT_EQ(mb->messages().size(), 3u);
  const auto& m = mb->messages();
  EXPECT_EQ(m[0].vsize_bytes, 20u);            // 16 bytes, 4 LFs
  EXPECT_EQ(m[1].vsize_bytes, 27u);            // 26 bytes, one bare LF
  EXPECT_EQ(m[2].vsize_bytes, 0u);             // no ,W=: not known yet
  EXPECT_NE(m[0].path.find(",W=20"), std::string::npos) << m[0].path;
  auto counted = mb->crlf_size(m[2].uid);
  ASSERT_TRUE(counted);
  EXPECT_EQ(*counted, 18u);  // 16 bytes, two bare LFs
  EXPECT_EQ(mb->messages()[2].vsize_bytes, 18u);  // kept
  EXPECT_EQ(*mb->crlf_size(m[0].uid), 20u);
  EXPECT_FALSE(mb->crlf_size(999));
}

TEST(MaildirName, CrlfSizeAcrossTwoParts) {
  EXPECT_EQ(crlf_size(""), 0u);
  EXPECT_EQ(crlf_size("\n"), 2u);
  EXPECT_EQ(crlf_size("a\r\nb\n"), 6u);
  EXPECT_EQ(crlf_size("a\r", "\nb"), 4u);  // one CRLF split between prefix and message
  EXPECT_EQ(crlf_size("a\n", "\nb"), 6u);
  EXPECT_EQ(crlf_size("", "\n"), 2u);
}

}  // namespace
