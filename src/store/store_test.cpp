// Tests for the store module in a temporary directory: Maildir delivery
// (visibility, unique names, symlink refusal, clean-up on failure) and mbox
// delivery (format read back by a parser, From_ quoting, locks, refusal of
// symlinked and hard-linked mailboxes, rollback on a failed write).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "base/fs.h"
#include "store/maildir.h"
#include "store/maildir_name.h"
#include "store/mbox.h"
#include "store/mbox_journal.h"
#include "store/store_test_util.h"

using namespace tern::store;
namespace stdfs = std::filesystem;

namespace {

using test_util::slurp;
using test_util::TempDir;

void spit(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::vector<std::string> list(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : stdfs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  return names;
}

mode_t mode_of(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// Runs fn in a child whose files may not grow beyond max_bytes; returns the
// child's exit code (fn's result: 0 = the delivery failed as expected).
int with_file_size_limit(rlim_t max_bytes, const std::function<int()>& fn) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_IGN);  // write() then fails with EFBIG
    struct rlimit rl = {max_bytes, max_bytes};
    ::setrlimit(RLIMIT_FSIZE, &rl);
    ::_exit(fn());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

// ---- Maildir ----

TEST(Maildir, CreateMakesSubdirectories) {
  TempDir d;
  std::string md = d / "a/b/Maildir";
  ASSERT_TRUE(maildir_create(md).ok());
  for (const char* sub : {"cur", "new", "tmp"}) EXPECT_EQ(mode_of(md + "/" + sub), 0700u) << sub;
  EXPECT_TRUE(maildir_create(md).ok());  // idempotent
}

TEST(Maildir, DeliverOneMessage) {
  TempDir d;
  std::string md = d / "Maildir";
  ASSERT_TRUE(maildir_create(md).ok());
  std::string prefix = "Return-Path: <a@b>\nDelivered-To: c@d\n";
  std::string message = "Subject: hi\n\nbody\n";
  auto name = maildir_deliver(md, prefix, message);
  ASSERT_TRUE(name.ok()) << name.error().detail;
  EXPECT_TRUE(list(md + "/tmp").empty());
  ASSERT_EQ(list(md + "/new"), std::vector<std::string>{*name});
  EXPECT_EQ(slurp(md + "/new/" + *name), prefix + message);
  EXPECT_EQ(mode_of(md + "/new/" + *name), 0600u);
  std::regex form(R"(^\d+\.M\d+P\d+Q\d+\.[^/:]+,S=(\d+),W=(\d+)$)");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(*name, m, form)) << *name;
  EXPECT_EQ(std::stoul(m[1]), prefix.size() + message.size());
  EXPECT_EQ(std::stoul(m[2]), prefix.size() + message.size() + 5);  // five LFs, sent as CRLF
}

TEST(Maildir, NamesAreUnique) {
  TempDir d;
  std::string md = d / "Maildir/";  // a trailing slash is fine
  ASSERT_TRUE(maildir_create(md).ok());
  std::set<std::string> names;
  for (int i = 0; i < 1000; ++i) {
    auto n = maildir_deliver(md, "", "Subject: " + std::to_string(i) + "\n\n", {.sync_dir = false});
    ASSERT_TRUE(n.ok()) << n.error().detail;
    names.insert(*n);
  }
  EXPECT_TRUE(tern::fs::fsync_dir(md + "new").ok());
  EXPECT_EQ(names.size(), 1000u);
  EXPECT_EQ(list(md + "new").size(), 1000u);
  EXPECT_TRUE(list(md + "tmp").empty());
}

TEST(Maildir, NamesAreUniqueAcrossThreads) {
  TempDir d;
  std::string md = d / "Maildir";
  ASSERT_TRUE(maildir_create(md).ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) ASSERT_TRUE(maildir_deliver(md, "", "x\n", {.sync_dir = false}).ok());
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(list(md + "/new").size(), 200u);
}

TEST(Maildir, HostnameEscaping) {
  EXPECT_EQ(maildir_escape_hostname("mx1.example.com"), "mx1.example.com");
  EXPECT_EQ(maildir_escape_hostname("a/b:c"), "a\\057b\\072c");
  EXPECT_EQ(maildir_escape_hostname(""), "localhost");
  EXPECT_EQ(maildir_unique_name(42).find('/'), std::string::npos);
}

TEST(Maildir, RefusesSymlinks) {
  TempDir d;
  std::string elsewhere = d / "elsewhere";
  ASSERT_TRUE(tern::fs::make_dirs(elsewhere).ok());
  for (const char* sub : {"new", "tmp", ""}) {
    std::string md = d / (std::string("md-") + (*sub ? sub : "top"));
    ASSERT_TRUE(maildir_create(md).ok());
    std::string link = *sub ? md + "/" + sub : md;
    if (*sub) {
      stdfs::remove(link);
    } else {
      stdfs::rename(md, md + ".real");
    }
    ASSERT_EQ(::symlink(*sub ? elsewhere.c_str() : (md + ".real").c_str(), link.c_str()), 0);
    // The unnamed-file way never touches tmp/; the rename way needs it.
    // Neither may write through a symlink, with or without create.
    auto r = maildir_deliver(md, "", "x\n", {.create = true, .prefer_tmpfile = false});
    ASSERT_FALSE(r.ok()) << sub;
    EXPECT_TRUE(r.error().is_temporary());
    EXPECT_NE(r.error().detail.find("is a symlink"), std::string::npos) << r.error().detail;
    EXPECT_TRUE(list(elsewhere).empty()) << sub;
    r = maildir_deliver(md, "", "x\n", {.create = true});
    EXPECT_EQ(r.ok(), std::string(sub) == "tmp") << sub;
    EXPECT_TRUE(list(elsewhere).empty()) << sub;
  }
}

TEST(Maildir, MissingMaildirIsTemporary) {
  TempDir d;
  auto r = maildir_deliver(d / "nope", "", "x\n");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().is_temporary());
}

// With create, a missing Maildir, or a missing new/ or tmp/ in one, is
// made on the way, for both ways of writing.
TEST(Maildir, CreatesWhatIsMissing) {
  TempDir d;
  for (bool tmpfile : {true, false}) {
    std::string md = d / (tmpfile ? "a/Maildir" : "b/Maildir");
    auto r = maildir_deliver(md, "", "x\n", {.create = true, .prefer_tmpfile = tmpfile});
    ASSERT_TRUE(r.ok()) << r.error().detail;
    for (const char* sub : {"cur", "new", "tmp"}) EXPECT_TRUE(stdfs::is_directory(md + "/" + sub)) << sub;
    stdfs::remove_all(md + "/new");
    stdfs::remove_all(md + "/tmp");
    r = maildir_deliver(md, "", "y\n", {.create = true, .prefer_tmpfile = tmpfile});
    ASSERT_TRUE(r.ok()) << r.error().detail;
    EXPECT_EQ(list(md + "/new").size(), 1u);
  }
}

TEST(Maildir, FailedWriteLeavesNothing) {
  TempDir d;
  std::string md = d / "Maildir";
  ASSERT_TRUE(maildir_create(md).ok());
  int rc = with_file_size_limit(100, [&] {
    auto r = maildir_deliver(md, "Delivered-To: x\n", std::string(10000, 'a') + "\n");
    return !r.ok() && r.error().is_temporary() ? 0 : 1;
  });
  EXPECT_EQ(rc, 0);
  EXPECT_TRUE(list(md + "/tmp").empty());
  EXPECT_TRUE(list(md + "/new").empty());
}

// ---- mbox ----

struct MboxMessage {
  std::string from_line;  // without "\n"
  std::string text;       // unquoted, without the blank separator line
};

// A minimal mboxrd reader, as mutt or Python's mailbox would split the file.
std::vector<MboxMessage> parse_mbox(const std::string& data) {
  std::vector<MboxMessage> out;
  size_t pos = 0;
  while (pos < data.size()) {
    auto nl = data.find('\n', pos);
    std::string line = data.substr(pos, nl == std::string::npos ? std::string::npos : nl + 1 - pos);
    pos = nl == std::string::npos ? data.size() : nl + 1;
    if (line.rfind("From ", 0) == 0) {
      out.push_back({line.substr(0, line.size() - 1), ""});
      continue;
    }
    if (out.empty()) continue;
    size_t i = 0;
    while (i < line.size() && line[i] == '>') ++i;
    if (i > 0 && line.compare(i, 5, "From ") == 0) line.erase(0, 1);
    out.back().text += line;
  }
  for (auto& m : out) {
    EXPECT_TRUE(m.text.size() >= 1 && m.text.back() == '\n');
    if (m.text.size() >= 2 && m.text.compare(m.text.size() - 2, 2, "\n\n") == 0) m.text.pop_back();
  }
  return out;
}

class ScopedTz {
 public:
  explicit ScopedTz(const char* tz) {
    const char* old = ::getenv("TZ");
    had_ = old != nullptr;
    if (had_) old_ = old;
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  ~ScopedTz() {
    if (had_)
      ::setenv("TZ", old_.c_str(), 1);
    else
      ::unsetenv("TZ");
    ::tzset();
  }

 private:
  bool had_ = false;
  std::string old_;
};

TEST(Mbox, FromLine) {
  ScopedTz tz("UTC");
  EXPECT_EQ(mbox_from_line("a@b.example", 0), "From a@b.example Thu Jan  1 00:00:00 1970\n");
  EXPECT_EQ(mbox_from_line("", 1795426801), "From MAILER-DAEMON Mon Nov 23 09:40:01 2026\n");
  EXPECT_EQ(mbox_from_line("<>", 0).substr(0, 19), "From MAILER-DAEMON ");
  EXPECT_EQ(mbox_from_line("\"a b\"@c\nFrom x", 0).substr(0, 24), "From \"a_b\"@c_From_x Thu ");
}

TEST(Mbox, EntryQuoting) {
  ScopedTz tz("UTC");
  std::string e =
      mbox_entry("s@x", 0, "X-Prefix: 1\n", "Subject: q\n\nFrom me\n>From x\n>>From y\nFrom\n From z\nFromage\nlast");
  EXPECT_EQ(e,
            "From s@x Thu Jan  1 00:00:00 1970\n"
            "X-Prefix: 1\nSubject: q\n\n>From me\n>>From x\n>>>From y\nFrom\n From z\nFromage\nlast\n\n");
  EXPECT_EQ(mbox_entry("s@x", 0, "", "a\n"), "From s@x Thu Jan  1 00:00:00 1970\na\n\n");
  // A prefix without a final newline joins the message's first line.
  EXPECT_EQ(mbox_entry("s@x", 0, "From", " x\n"), "From s@x Thu Jan  1 00:00:00 1970\n>From x\n\n");
}

TEST(Mbox, TwoDeliveriesReadBack) {
  TempDir d;
  std::string mb = d / "user";
  std::string m1 = "Subject: one\n\nFrom me\n>From x\nend\n";
  std::string m2 = "Subject: two\n\nno final newline";
  ASSERT_TRUE(mbox_deliver(mb, "a@example.com", 1795426801, "Delivered-To: u@x\n", m1).ok());
  auto st = mbox_deliver(mb, "", 1795426802, "", m2);
  ASSERT_TRUE(st.ok()) << st.error().detail;
  EXPECT_EQ(mode_of(mb), 0600u);
  EXPECT_FALSE(tern::fs::exists(mb + ".lock"));
  std::string raw = slurp(mb);
  EXPECT_NE(raw.find("\n>From me\n>>From x\n"), std::string::npos) << raw;
  auto msgs = parse_mbox(raw);
  ASSERT_EQ(msgs.size(), 2u) << raw;
  EXPECT_EQ(msgs[0].from_line.rfind("From a@example.com ", 0), 0u);
  EXPECT_EQ(msgs[0].text, "Delivered-To: u@x\n" + m1);
  EXPECT_EQ(msgs[1].from_line.rfind("From MAILER-DAEMON ", 0), 0u);
  EXPECT_EQ(msgs[1].text, m2 + "\n");
}

TEST(Mbox, RepairsMissingFinalNewline) {
  TempDir d;
  std::string mb = d / "user";
  spit(mb, "From old Thu Jan  1 00:00:00 1970\nSubject: old\n\ncut off");
  ASSERT_TRUE(mbox_deliver(mb, "a@b", 0, "", "Subject: new\n\nhi\n").ok());
  auto msgs = parse_mbox(slurp(mb));
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].text, "Subject: old\n\ncut off\n");
  EXPECT_EQ(msgs[1].text, "Subject: new\n\nhi\n");
}

// mailbox_size_limit: the append that would pass the limit fails
// permanently (5.2.2) and leaves the file as it was; one that fits is made.
TEST(Mbox, SizeLimitRefusesTheAppendThatWouldPassIt) {
  TempDir d;
  std::string mb = d / "user";
  MboxOptions opt;
  opt.size_limit = 200;
  ASSERT_TRUE(mbox_deliver(mb, "a@b", 0, "", "Subject: fits\n\nx\n", opt).ok());
  std::string before = slurp(mb);
  auto st = mbox_deliver(mb, "a@b", 0, "", "Subject: too big\n\n" + std::string(200, 'x') + "\n", opt);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.error().is_permanent());
  EXPECT_EQ(st.error().dsn, "5.2.2");
  EXPECT_EQ(slurp(mb), before);
  EXPECT_FALSE(tern::fs::exists(mb + ".lock"));
  opt.size_limit = 0;  // no limit
  EXPECT_TRUE(mbox_deliver(mb, "a@b", 0, "", std::string(1000, 'y') + "\n", opt).ok());
}

TEST(Maildir, SizeLimitRefusesALargerMessage) {
  TempDir d;
  std::string md = d / "md";
  auto r = maildir_deliver(md, "P: 1\n", std::string(100, 'x'), {.create = true, .size_limit = 100});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().dsn, "5.2.2");
  EXPECT_TRUE(r.error().is_permanent());
  EXPECT_TRUE(maildir_deliver(md, "P: 1\n", std::string(95, 'x'), {.create = true, .size_limit = 100}).ok());
}

// RELIABILITY.md #39: a delivery died mid-append (kill -9), leaving its
// dot-lock with the append record and half an entry. The next delivery
// takes the lock over at once, truncates the partial entry, and appends.
TEST(Mbox, UndoesThePartialAppendOfADeadDelivery) {
  TempDir d;
  std::string mb = d / "user";
  ASSERT_TRUE(mbox_deliver(mb, "a@b", 0, "", "Subject: one\n\nfirst\n").ok());
  std::string before = slurp(mb);
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);  // a pid that is gone
  struct stat st;
  ASSERT_EQ(::stat(mb.c_str(), &st), 0);
  AppendRecord dead = record_for_self();
  dead.pid = child;
  dead.has_append = true;
  dead.dev = st.st_dev;
  dead.ino = st.st_ino;
  dead.size_before = before.size();
  dead.size_after = before.size() + 5000;
  spit(mb + ".lock", format_record(dead));
  std::ofstream(mb, std::ios::app) << "From x Thu Jan  1 00:00:00 1970\nSubject: half\n\ncut";
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(mbox_deliver(mb, "a@b", 0, "", "Subject: two\n\nsecond\n").ok());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));  // not the 5-minute rule
  auto msgs = parse_mbox(slurp(mb));
  ASSERT_EQ(msgs.size(), 2u) << slurp(mb);
  EXPECT_EQ(msgs[0].text, "Subject: one\n\nfirst\n");
  EXPECT_EQ(msgs[1].text, "Subject: two\n\nsecond\n");
  EXPECT_FALSE(tern::fs::exists(mb + ".lock"));
}

// A record whose mailbox has changed since (another inode, or a size
// outside the recorded range) is not acted on; a live holder is waited for.
TEST(Mbox, LeavesAChangedMailboxAloneAndWaitsForALiveHolder) {
  TempDir d;
  std::string mb = d / "user";
  spit(mb, "From x Thu Jan  1 00:00:00 1970\nSubject: kept\n\nbody\n\n");
  AppendRecord other = record_for_self();
  other.pid = 0x3fffffff;  // no such process
  other.has_append = true;
  other.ino = 1;  // another file
  other.size_after = 1000;
  spit(mb + ".lock", format_record(other));
  ASSERT_TRUE(mbox_deliver(mb, "a@b", 0, "", "Subject: new\n\nx\n").ok());
  EXPECT_EQ(parse_mbox(slurp(mb)).size(), 2u);
  spit(mb + ".lock", format_record(record_for_self()));  // alive: us
  MboxOptions opt;
  opt.lock_timeout_s = 0;
  auto st = mbox_deliver(mb, "a@b", 0, "", "x\n", opt);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.error().is_temporary());
}

// SECURITY: a record in a lock owned by another uid (someone who can
// write the spool directory) is never acted on: the mailbox is untouched.
TEST(Mbox, IgnoresARecordInALockOwnedByAnotherUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown the lock";
  TempDir d;
  std::string mb = d / "user";
  spit(mb, "From x Thu Jan  1 00:00:00 1970\nSubject: kept\n\nbody\n\n");
  struct stat st;
  ASSERT_EQ(::stat(mb.c_str(), &st), 0);
  AppendRecord forged = record_for_self();
  forged.pid = 0x3fffffff;  // "dead"
  forged.has_append = true;
  forged.dev = st.st_dev;
  forged.ino = st.st_ino;
  forged.size_after = 1u << 20;  // would truncate to 0
  spit(mb + ".lock", format_record(forged));
  ASSERT_EQ(::chown((mb + ".lock").c_str(), 65534, 65534), 0);
  MboxOptions opt;
  opt.lock_timeout_s = 0;
  EXPECT_FALSE(mbox_deliver(mb, "a@b", 0, "", "x\n", opt).ok());
  EXPECT_EQ(parse_mbox(slurp(mb)).size(), 1u);
}

TEST(MboxJournal, RecordRoundTripAndRefusals) {
  AppendRecord r = record_for_self();
  EXPECT_FALSE(holder_is_gone(r));
  r.has_append = true;
  r.dev = 2049;
  r.ino = 77;
  r.size_before = 10;
  r.size_after = 20;
  auto back = parse_record(format_record(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->pid, r.pid);
  EXPECT_EQ(back->start_ticks, r.start_ticks);
  EXPECT_EQ(back->boot_id, r.boot_id);
  EXPECT_EQ(back->host, r.host);
  EXPECT_TRUE(back->has_append);
  EXPECT_EQ(back->size_before, 10u);
  EXPECT_EQ(back->size_after, 20u);
  for (const char* bad :
       {"", "12345\n", "tern-mbox-append 1 host=h pid=1 start=2 boot=x", "tern-mbox-append 1 host=h pid=1 start=2\n",
        "tern-mbox-append 1 host=h pid=1 start=2 boot=x dev=1\n",
        "tern-mbox-append 1 host=h pid=1 start=2 boot=x dev=1 ino=2 from=9 to=3\n",
        "tern-mbox-append 1 host=h pid=-1 start=2 boot=x\n", "tern-mbox-append 1 host=h pid=1 start=2 boot=x huh=1\n",
        "tern-mbox-append 2 pid=1 start=2 boot=x\n", "tern-mbox-append 1 host=h host=h pid=1 boot=x\n",
        "tern-mbox-append 1 host= pid=1 start=2 boot=x\n"})
    EXPECT_FALSE(parse_record(bad)) << bad;
  EXPECT_FALSE(parse_record("tern-mbox-append 1 pid=1 start=2 boot=x\n"));  // no host
  r.boot_id = "another-boot";
  EXPECT_TRUE(holder_is_gone(r));
  r.host = "another-host";  // NFS: another host's lock waits for the 5-minute rule
  EXPECT_FALSE(holder_is_gone(r));
}

TEST(Mbox, CreateFalseDoesNotCreate) {
  TempDir d;
  MboxOptions opt;
  opt.create = false;
  auto st = mbox_deliver(d / "user", "a@b", 0, "", "x\n", opt);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.error().is_temporary());
  EXPECT_FALSE(tern::fs::exists(d / "user"));
}

TEST(Mbox, RefusesAMailboxOwnedByAnotherUser) {
  TempDir d;
  std::string box = d / "box";
  spit(box, "mine\n");
  auto st = mbox_deliver(box, "a@b", 0, "", "evil\n", {.owner = ::geteuid() + 1});
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.error().is_temporary());
  EXPECT_NE(st.error().detail.find("owned by uid"), std::string::npos) << st.error().detail;
  EXPECT_EQ(slurp(box), "mine\n");
  EXPECT_TRUE(mbox_deliver(box, "a@b", 0, "", "fine\n", {.owner = ::geteuid()}).ok());
}

TEST(Mbox, RefusesSymlinkAndHardLink) {
  TempDir d;
  std::string victim = d / "victim";
  spit(victim, "secret\n");
  ASSERT_EQ(::symlink(victim.c_str(), (d / "sym").c_str()), 0);
  ASSERT_EQ(::symlink((d / "absent").c_str(), (d / "dangling").c_str()), 0);
  ASSERT_EQ(::link(victim.c_str(), (d / "hard").c_str()), 0);
  ASSERT_EQ(::mkfifo((d / "fifo").c_str(), 0600), 0);
  ASSERT_EQ(::mkdir((d / "dir").c_str(), 0700), 0);
  for (const char* name : {"sym", "dangling", "hard", "fifo", "dir"}) {
    auto st = mbox_deliver(d / name, "a@b", 0, "", "evil\n");
    ASSERT_FALSE(st.ok()) << name;
    EXPECT_TRUE(st.error().is_temporary()) << name;
  }
  EXPECT_EQ(slurp(victim), "secret\n");
  EXPECT_FALSE(tern::fs::exists(d / "absent"));
}

TEST(Mbox, WaitsForDotLockThenDefers) {
  TempDir d;
  std::string mb = d / "user";
  spit(mb, "");
  spit(mb + ".lock", "");
  MboxOptions opt;
  opt.lock_timeout_s = 1;
  auto t0 = std::chrono::steady_clock::now();
  auto st = mbox_deliver(mb, "a@b", 0, "", "x\n", opt);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.error().is_temporary());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(900));
  EXPECT_EQ(slurp(mb), "");
  EXPECT_TRUE(tern::fs::exists(mb + ".lock"));  // someone else's: left alone
}

TEST(Mbox, RemovesStaleDotLock) {
  TempDir d;
  std::string mb = d / "user";
  spit(mb + ".lock", "");
  struct timespec old[2] = {{::time(nullptr) - 600, 0}, {::time(nullptr) - 600, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (mb + ".lock").c_str(), old, 0), 0);
  MboxOptions opt;
  opt.lock_timeout_s = 1;
  auto st = mbox_deliver(mb, "a@b", 0, "", "x\n", opt);
  ASSERT_TRUE(st.ok()) << st.error().detail;
  EXPECT_FALSE(tern::fs::exists(mb + ".lock"));
  EXPECT_EQ(parse_mbox(slurp(mb)).size(), 1u);
}

TEST(Mbox, WaitsForFcntlLockThenDefers) {
  TempDir d;
  std::string mb = d / "user";
  spit(mb, "");
  int other = ::open(mb.c_str(), O_RDWR);
  ASSERT_GE(other, 0);
  struct flock fl = {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  ASSERT_EQ(::fcntl(other, F_OFD_SETLK, &fl), 0);
  MboxOptions opt;
  opt.lock_timeout_s = 1;
  auto st = mbox_deliver(mb, "a@b", 0, "", "x\n", opt);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.error().is_temporary());
  EXPECT_FALSE(tern::fs::exists(mb + ".lock"));  // our dot-lock was dropped
  ::close(other);
  EXPECT_TRUE(mbox_deliver(mb, "a@b", 0, "", "x\n", opt).ok());
}

TEST(Mbox, ConcurrentDeliveriesDoNotInterleave) {
  TempDir d;
  std::string mb = d / "user";
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        std::string body = "Subject: " + std::to_string(t) + "\n\n" + std::string(5000, char('a' + t)) + "\n";
        ASSERT_TRUE(mbox_deliver(mb, "a@b", 0, "", body).ok());
      }
    });
  for (auto& th : threads) th.join();
  auto msgs = parse_mbox(slurp(mb));
  ASSERT_EQ(msgs.size(), 100u);
  for (const auto& m : msgs) {
    char c = m.text[9] - '0' + 'a';
    EXPECT_EQ(m.text, std::string("Subject: ") + m.text[9] + "\n\n" + std::string(5000, c) + "\n");
  }
}

TEST(Mbox, FailedWriteIsRolledBack) {
  TempDir d;
  std::string mb = d / "user";
  ASSERT_TRUE(mbox_deliver(mb, "a@b", 0, "", "Subject: first\n\nok\n").ok());
  std::string before = slurp(mb);
  int rc = with_file_size_limit(before.size() + 100, [&] {
    auto st = mbox_deliver(mb, "a@b", 0, "", "Subject: big\n\n" + std::string(10000, 'x') + "\n");
    return !st.ok() && st.error().is_temporary() ? 0 : 1;
  });
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(slurp(mb), before);
  EXPECT_FALSE(tern::fs::exists(mb + ".lock"));
}

TEST(Mbox, UnwritableDirectorySkipsDotLock) {
  if (::geteuid() == 0) GTEST_SKIP() << "root can always write the directory";
  TempDir d;
  std::string mb = d / "user";
  spit(mb, "");
  ASSERT_EQ(::chmod(d.path().c_str(), 0500), 0);
  auto st = mbox_deliver(mb, "a@b", 0, "", "x\n");
  ::chmod(d.path().c_str(), 0700);
  ASSERT_TRUE(st.ok()) << st.error().detail;
  EXPECT_EQ(parse_mbox(slurp(mb)).size(), 1u);
}

}  // namespace

TEST(Maildir, RenameFallbackDeliversTheSameWay) {
  char t[] = "/tmp/tern-store-fallback-XXXXXX";
  std::string dir = std::string(::mkdtemp(t)) + "/md";
  ASSERT_TRUE(tern::store::maildir_create(dir));
  auto a = tern::store::maildir_deliver(dir, "P: 1\n", "body\n", {.prefer_tmpfile = false});
  auto b = tern::store::maildir_deliver(dir, "P: 2\n", "body\n", {.prefer_tmpfile = true});
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(tern::fs::exists(dir + "/new/" + *a));
  EXPECT_TRUE(tern::fs::exists(dir + "/new/" + *b));
  auto text = tern::fs::read_file(dir + "/new/" + *a);
  EXPECT_EQ(*text, "P: 1\nbody\n");
  EXPECT_EQ(::rmdir((dir + "/tmp").c_str()), 0);  // tmp/ left empty by both ways
}
