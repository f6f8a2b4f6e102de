// FolderInotify: the kernel's word that a mailbox changed, whoever changed
// it. The process's ChangeHub tells its watchers of the changes made in this
// process; changes made by another process (an IMAP worker process, the
// root-side delivery process, Dovecot, mutt) reach them through this:
// Linux's inotify on a Maildir folder's new/ and cur/, or on an mbox file,
// for as long as somebody in the process watches that mailbox. Dovecot's
// IDLE learns of new mail the same way.
//
// One inotify instance per process, read by one thread ("tern-inotify")
// that starts with the first watch; a burst of events (a read's worth) is
// reported once per mailbox. A file replaced by a rename (an mbox rewritten
// by another mail reader, the subscriptions file) is watched again under its
// name. A key that cannot be watched (a name that is
// no path, no inotify, fs.inotify.max_user_watches reached) is reported
// by add() returning false: the watcher then only learns of it by polling,
// as before (IDLE's idle_poll).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace tern::store {

class FolderInotify {
 public:
  // Called on the reader thread with no lock of this object held.
  using OnChange = std::function<void(const std::string& key)>;

  explicit FolderInotify(OnChange on_change);
  ~FolderInotify();  // stops and joins the reader
  FolderInotify(const FolderInotify&) = delete;
  FolderInotify& operator=(const FolderInotify&) = delete;

  // Starts watching the mailbox `key` names: a Maildir folder (its new/
  // and cur/) or a regular file (an mbox). False if nothing could be
  // watched. Each add() is undone by one remove().
  bool add(const std::string& key);
  void remove(const std::string& key);
  // Watches again what a key added earlier names, if its watch was lost
  // (the folder or file went, and may be back under that name).
  void retry(const std::string& key);

  // True if the kernel will report a name made or removed now in the
  // directory at `path` (key's new/ or cur/, or the mbox file itself): key
  // is watched whole, its watch of path is on the inode at path now, and the
  // reader still runs. The hub then need not tell of the change itself.
  bool covers(const std::string& key, const std::string& path) const;

  size_t watch_count() const;  // kernel watches held (for tests)

 private:
  bool start_locked();
  void run();

  OnChange on_change_;
  mutable std::mutex mu_;
  int fd_ = -1;       // the inotify instance
  int stop_fd_ = -1;  // an eventfd that wakes the reader to stop
  bool warned_ = false;
  bool reading_ = false;  // the reader runs (set when started, cleared if it gives up)
  std::thread reader_;
  struct Watched {
    std::string path;
    uint32_t mask;
    dev_t dev = 0;  // what path named when the watch was made; 0 if unsure
    ino_t ino = 0;
    std::vector<std::string> keys;
  };
  // Adds the kernel's watch of path for key; false if it cannot.
  bool watch_path_locked(const std::string& key, const std::string& path, uint32_t mask);
  // (Re)makes every kernel watch of key; false, with none left, if the
  // folder cannot be watched whole (or the file at all).
  bool watch_key_locked(const std::string& key);
  // Gives up key's use of the watch wd (the watch itself when nobody else uses it).
  void drop_locked(const std::string& key, int wd);
  // A watched path was replaced (a file renamed over an mbox or the
  // subscriptions file) or removed: watch what is there now, if anything.
  void rearm_locked(int dead_wd, Watched gone);

  std::unordered_map<int, Watched> watched_;
  struct KeyWatch {
    std::vector<int> wds;  // live kernel watches
    size_t wanted = 0;     // how many add() asked for (2 for a folder, 1 for a file)
    size_t adds = 1;       // add() calls not yet undone by remove()
  };
  std::unordered_map<std::string, KeyWatch> keys_;
};

}  // namespace tern::store
