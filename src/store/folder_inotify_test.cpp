// FolderInotify and the hub's kernel watch: a change made behind the
// hub's back (as another process makes it: a rename into new/, an unlink
// in cur/, a write to an mbox) reaches the watchers; two keys on one folder
// share the kernel's watch and each is told; the last unwatch gives the
// watch back; what cannot be watched says so.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>

#include "store/change_hub.h"
#include "store/folder_inotify.h"
#include "store/store_test_util.h"

namespace tern::store {
namespace {

using test_util::TempDir;
using test_util::write_file;

// Keys reported, awaited with a deadline rather than a sleep.
struct Seen {
  std::mutex mu;
  std::condition_variable cv;
  std::multiset<std::string> keys;

  void add(const std::string& k) {
    std::lock_guard lock(mu);
    keys.insert(k);
    cv.notify_all();
  }
  bool wait_for(const std::string& k) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return keys.count(k) > 0; });
  }
  void clear() {
    std::lock_guard lock(mu);
    keys.clear();
  }
  size_t count(const std::string& k) {
    std::lock_guard lock(mu);
    return keys.count(k);
  }
};

std::string make_maildir(const TempDir& t, const std::string& name) {
  std::string dir = t / name;
  for (const char* sub : {"", "/new", "/cur", "/tmp"}) ::mkdir((dir + sub).c_str(), 0700);
  return dir;
}

TEST(FolderInotify, ARenameIntoNewAndAnUnlinkInCurAreReported) {
  TempDir t;
  std::string box = make_maildir(t, "alice");
  std::string other = make_maildir(t, "bob");
  Seen seen;
  FolderInotify kernel([&](const std::string& k) { seen.add(k); });
  ASSERT_TRUE(kernel.add(box));
  EXPECT_EQ(kernel.watch_count(), 2u);  // new/ and cur/

  write_file(box + "/tmp/1.x", "Subject: a\n\nbody\n");
  write_file(other + "/tmp/1.x", "Subject: b\n\nbody\n");
  ASSERT_EQ(::rename((other + "/tmp/1.x").c_str(), (other + "/new/1.x").c_str()), 0);
  ASSERT_EQ(::rename((box + "/tmp/1.x").c_str(), (box + "/new/1.x").c_str()), 0);
  ASSERT_TRUE(seen.wait_for(box));
  EXPECT_EQ(seen.count(other), 0u);  // never watched

  seen.clear();
  ASSERT_EQ(::rename((box + "/new/1.x").c_str(), (box + "/cur/1.x:2,S").c_str()), 0);
  ASSERT_TRUE(seen.wait_for(box));
  seen.clear();
  ASSERT_EQ(::unlink((box + "/cur/1.x:2,S").c_str()), 0);
  ASSERT_TRUE(seen.wait_for(box));

  kernel.remove(box);
  EXPECT_EQ(kernel.watch_count(), 0u);
}

TEST(FolderInotify, AnMboxFileIsWatchedForWrites) {
  TempDir t;
  std::string mbox = t / "inbox";
  write_file(mbox, "");
  Seen seen;
  FolderInotify kernel([&](const std::string& k) { seen.add(k); });
  ASSERT_TRUE(kernel.add(mbox));
  int fd = ::open(mbox.c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "From a\n", 7), 7);
  ::close(fd);
  EXPECT_TRUE(seen.wait_for(mbox));
  // Moved away and another file made under the name: that one is watched.
  seen.clear();
  ASSERT_EQ(::rename(mbox.c_str(), (t / "inbox.old").c_str()), 0);
  ASSERT_TRUE(seen.wait_for(mbox));
  seen.clear();
  for (int i = 0; i < 1000 && kernel.watch_count() != 0; ++i) ::usleep(1000);
  write_file(mbox, "From b\n");  // nothing watches the name until the next watcher comes
  kernel.retry(mbox);
  EXPECT_EQ(kernel.watch_count(), 1u);
  fd = ::open(mbox.c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "x\n", 2), 2);
  ::close(fd);
  EXPECT_TRUE(seen.wait_for(mbox));
  kernel.remove(mbox);
}

TEST(FolderInotify, AFileReplacedByARenameIsWatchedAgainUnderItsName) {
  TempDir t;
  std::string subs = t / "subscriptions";
  write_file(subs, "INBOX\n");
  Seen seen;
  FolderInotify kernel([&](const std::string& k) { seen.add(k); });
  ASSERT_TRUE(kernel.add(subs));
  write_file(t / "subscriptions.tmp", "INBOX\nSent\n");
  ASSERT_EQ(::rename((t / "subscriptions.tmp").c_str(), subs.c_str()), 0);  // as the writer replaces it
  ASSERT_TRUE(seen.wait_for(subs));
  seen.clear();
  // The new file is the one watched now.
  for (int i = 0; i < 1000 && kernel.watch_count() != 1; ++i) ::usleep(1000);
  ASSERT_EQ(kernel.watch_count(), 1u);
  int fd = ::open(subs.c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "Trash\n", 6), 6);
  ::close(fd);
  EXPECT_TRUE(seen.wait_for(subs));
  kernel.remove(subs);
  EXPECT_EQ(kernel.watch_count(), 0u);
}

TEST(FolderInotify, WhatIsNoPathOrIsGoneCannotBeWatched) {
  TempDir t;
  FolderInotify kernel([](const std::string&) {});
  EXPECT_FALSE(kernel.add(""));
  EXPECT_FALSE(kernel.add("relative/box"));
  EXPECT_FALSE(kernel.add(t / "missing"));
  EXPECT_FALSE(kernel.add(t.path() + "\nnames"));  // the key of a store's names signal
  // A directory without new/ and cur/ is no Maildir folder.
  ::mkdir((t / "plain").c_str(), 0700);
  EXPECT_FALSE(kernel.add(t / "plain"));
  EXPECT_EQ(kernel.watch_count(), 0u);
  kernel.remove(t / "missing");  // harmless
}

TEST(FolderInotify, TwoKeysOnOneFolderShareTheWatchAndBothAreTold) {
  TempDir t;
  std::string box = make_maildir(t, "alice");
  std::string link = t / "alias";
  ASSERT_EQ(::symlink(box.c_str(), link.c_str()), 0);
  Seen seen;
  FolderInotify kernel([&](const std::string& k) { seen.add(k); });
  ASSERT_TRUE(kernel.add(box));
  ASSERT_TRUE(kernel.add(link));
  EXPECT_EQ(kernel.watch_count(), 2u);  // the kernel gives the same watches back
  write_file(box + "/tmp/1.x", "x");
  ASSERT_EQ(::rename((box + "/tmp/1.x").c_str(), (box + "/new/1.x").c_str()), 0);
  ASSERT_TRUE(seen.wait_for(box));
  ASSERT_TRUE(seen.wait_for(link));
  kernel.remove(box);
  EXPECT_EQ(kernel.watch_count(), 2u);  // still wanted under the other key
  seen.clear();
  write_file(box + "/tmp/2.x", "x");
  ASSERT_EQ(::rename((box + "/tmp/2.x").c_str(), (box + "/new/2.x").c_str()), 0);
  ASSERT_TRUE(seen.wait_for(link));
  kernel.remove(link);
  EXPECT_EQ(kernel.watch_count(), 0u);
}

TEST(FolderInotify, AFolderRemovedWhileWatchedIsForgottenCleanly) {
  TempDir t;
  std::string box = make_maildir(t, "gone");
  Seen seen;
  FolderInotify kernel([&](const std::string& k) { seen.add(k); });
  ASSERT_TRUE(kernel.add(box));
  std::filesystem::remove_all(box);
  ASSERT_TRUE(seen.wait_for(box));
  // The kernel drops both watches (IN_IGNORED); remove() must not trip on them.
  for (int i = 0; i < 1000 && kernel.watch_count() != 0; ++i) ::usleep(1000);
  EXPECT_EQ(kernel.watch_count(), 0u);
  kernel.remove(box);
  // The key can be watched again once it exists again.
  make_maildir(t, "gone");
  EXPECT_TRUE(kernel.add(box));
  kernel.remove(box);
}

TEST(FolderInotify, AFolderIsWatchedWhollyOrNotAtAll) {
  TempDir t;
  Seen seen;
  FolderInotify kernel([&](const std::string& k) { seen.add(k); });
  // Half a folder (new/ without cur/) would miss changes: nothing is watched.
  std::string half = t / "half";
  ::mkdir(half.c_str(), 0700);
  ::mkdir((half + "/new").c_str(), 0700);
  EXPECT_FALSE(kernel.add(half));
  EXPECT_EQ(kernel.watch_count(), 0u);
  kernel.remove(half);  // harmless
}

TEST(FolderInotify, AReaderMovingNewMailToCurIsNoChange) {
  TempDir t;
  std::string box = make_maildir(t, "alice");
  Seen seen;
  FolderInotify kernel([&](const std::string& k) { seen.add(k); });
  ASSERT_TRUE(kernel.add(box));
  write_file(box + "/tmp/1.x", "x");
  ASSERT_EQ(::rename((box + "/tmp/1.x").c_str(), (box + "/new/1.x").c_str()), 0);
  ASSERT_TRUE(seen.wait_for(box));
  seen.clear();
  ASSERT_EQ(::rename((box + "/new/1.x").c_str(), (box + "/cur/1.x:2,").c_str()), 0);  // quiet
  // A change in another watched folder after it: events come in order, so
  // once that one is told, the move was read (and, being quiet, not told).
  std::string sentinel = make_maildir(t, "zed");
  ASSERT_TRUE(kernel.add(sentinel));
  write_file(sentinel + "/tmp/1.x", "x");
  ASSERT_EQ(::rename((sentinel + "/tmp/1.x").c_str(), (sentinel + "/new/1.x").c_str()), 0);
  ASSERT_TRUE(seen.wait_for(sentinel));
  EXPECT_EQ(seen.count(box), 0u);
  // With a flag set on the way it is a change.
  ASSERT_EQ(::rename((box + "/cur/1.x:2,").c_str(), (box + "/cur/1.x:2,S").c_str()), 0);
  EXPECT_TRUE(seen.wait_for(box));
  kernel.remove(box);
  kernel.remove(sentinel);
}

TEST(ChangeHub, KernelWatchTellsOfChangesMadeBehindItsBack) {
  TempDir t;
  std::string box = make_maildir(t, "carol");
  ChangeHub hub(true);
  Seen seen;
  auto w1 = hub.watch(box + "/", [&] { seen.add("w1"); });
  auto w2 = hub.watch(box, [&] { seen.add("w2"); });
  write_file(box + "/tmp/1.x", "x");
  ASSERT_EQ(::rename((box + "/tmp/1.x").c_str(), (box + "/new/1.x").c_str()), 0);  // nobody calls changed()
  EXPECT_TRUE(seen.wait_for("w1"));
  EXPECT_TRUE(seen.wait_for("w2"));
  // The hub's own word is not left to the kernel: it tells at once.
  seen.clear();
  hub.changed(box);
  EXPECT_EQ(seen.count("w1"), 1u);
  w1.reset();
  w2.reset();
  EXPECT_EQ(hub.watcher_count(), 0u);
}

// One delivery in a process with a kernel watch on the folder wakes each
// watcher once: changed_in() leaves the telling to the kernel when its watch
// covers the directory; once the directory was replaced behind the watch's
// back, it tells at once itself.
TEST(ChangeHub, ChangedInLeavesToTheKernelWhatItsWatchCovers) {
  TempDir t;
  std::string box = make_maildir(t, "dave");
  std::string sentinel = make_maildir(t, "zed");
  ChangeHub hub(true);
  Seen seen;
  auto w = hub.watch(box, [&] { seen.add("box"); });
  auto s = hub.watch(sentinel, [&] { seen.add("sentinel"); });
  write_file(box + "/tmp/1.x", "x");
  ASSERT_EQ(::link((box + "/tmp/1.x").c_str(), (box + "/new/1.x").c_str()), 0);
  hub.changed_in(box, "new");
  ASSERT_TRUE(seen.wait_for("box"));
  // The kernel reports in order: once the sentinel's change is told, any
  // second telling of the box would have come.
  write_file(sentinel + "/new/2.x", "x");
  ASSERT_TRUE(seen.wait_for("sentinel"));
  EXPECT_EQ(seen.count("box"), 1u);

  // new/ replaced: the watch is on the old directory, and the hub says so.
  ASSERT_EQ(::rename((box + "/new").c_str(), (box + "/gone").c_str()), 0);
  ASSERT_EQ(::mkdir((box + "/new").c_str(), 0700), 0);
  seen.clear();
  write_file(box + "/new/3.x", "x");
  hub.changed_in(box, "new");
  EXPECT_EQ(seen.count("box"), 1u);  // told at once, not left to a watch that cannot see it
  // A folder nobody watches: nothing to tell, nothing looked at.
  seen.clear();
  hub.changed_in(t / "nobody", "new");
  EXPECT_EQ(seen.count("box") + seen.count("sentinel"), 0u);
}

}  // namespace
}  // namespace tern::store
