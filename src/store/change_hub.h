// ChangeHub: "this Maildir folder changed" from whoever changed it to the
// sessions that watch it, inside one process: delivery calls changed() once
// a message is durable in new/, and a MaildirMailbox after its own append,
// expunge or flag change; an IMAP session in IDLE watches its folder and
// refreshes when told, so new mail is pushed within a moment instead of
// being found by polling (issue 10). Changes made by another process
// (an IMAP worker process, the root-side delivery process, Dovecot, mutt)
// reach the process's hub through inotify (folder_inotify.h) while somebody
// watches the folder; where the kernel cannot watch it, a watcher still
// checks now and then. A change made in this process reaches the kernel's
// watch too; changed() tells of it all the same (a session woken twice
// before it runs looks once), since a watch can silently stop covering its
// path (the folder renamed away, the queue overflowed). changed_in() is for
// the frequent changes (delivery, APPEND, flags): it leaves the telling to
// the kernel when the watch is known to cover the directory changed.
//
// Folders are named by their directory path; a trailing '/' does not
// count, so delivery's "base/domain/user/" and the reader's root match.
// Callbacks run on the thread that called changed(), with the hub's lock
// held: they must only post work elsewhere (e.g. asio::post to the
// session's executor) and never call back into the hub, but for
// generation().
//
// Every telling moves the hub's generation on first. What a watcher, told,
// reads of the folder after generation() reached the value it had while it
// was told (read by the callback) includes the change it was told of; so
// the many sessions woken by one delivery may share one look at the folder
// taken since (store/shared_listings.h's path stamps).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tern::store {

class FolderInotify;

class ChangeHub {
 public:
  using Callback = std::function<void()>;

  // Watching lasts as long as the returned object.
  class Watch {
   public:
    ~Watch();
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;

   private:
    friend class ChangeHub;
    Watch(ChangeHub& hub, std::string dir, uint64_t id) : hub_(hub), dir_(std::move(dir)), id_(id) {}
    ChangeHub& hub_;
    std::string dir_;
    uint64_t id_;
  };

  // kernel_watch: also learn of other processes' changes through inotify,
  // for the folders somebody watches.
  explicit ChangeHub(bool kernel_watch = false);
  ~ChangeHub();
  ChangeHub(const ChangeHub&) = delete;
  ChangeHub& operator=(const ChangeHub&) = delete;

  // The process's hub, with kernel_watch.
  static ChangeHub& process();

  [[nodiscard]] std::unique_ptr<Watch> watch(std::string_view dir, Callback cb);
  void changed(std::string_view dir);
  // A name was made or removed in `sub` ("new" or "cur") of the Maildir
  // folder `dir` by this process (a delivery's link, an APPEND, a flag
  // change's rename). When the kernel's watch covers that directory, it
  // tells the watchers, and they are not told here as well: one delivery
  // would otherwise wake every IDLE session of the process twice, the
  // second time for nothing. Otherwise (no kernel watch, or one that no
  // longer covers the path) this tells them at once, as changed() does.
  void changed_in(std::string_view dir, std::string_view sub);
  size_t watcher_count() const;
  // Moves on before each telling; never 0. Read without the lock.
  uint64_t generation() const { return generation_.load(); }

 private:
  static std::string key(std::string_view dir);
  void changed_by_kernel(const std::string& dir);
  void tell(std::unordered_map<uint64_t, Callback>& watchers);  // mu_ held
  void unwatch(const std::string& dir, uint64_t id);

  mutable std::mutex mu_;
  std::atomic<uint64_t> generation_{1};
  uint64_t next_id_ = 1;
  // By folder, then by watch id: with thousands of IDLE sessions on one
  // folder, each leaving is a lookup, not a scan of the others.
  std::unordered_map<std::string, std::unordered_map<uint64_t, Callback>> watchers_;
  std::unique_ptr<FolderInotify> kernel_;  // last: its reader calls changed() until it is joined
};

}  // namespace tern::store
