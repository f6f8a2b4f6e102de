// A Maildir folder's listing, shared between the mailboxes of one process
// that have the folder open (issue 10: one delivery wakes every IDLE session
// on an INBOX, up to tens of thousands in a process, and each used to list
// the folder itself). The first to look after a change lists the folder and
// publishes what it saw, with the stamp it took before looking; another
// whose own stamp of the folder is the same takes that listing instead of
// listing the folder: the stamp was settled (store/stamp_settle.h), so an
// equal one proves nothing changed since, the rule by which a mailbox
// already skips listing an unchanged folder again. A listing is kept while
// two or more mailboxes of the process have the folder open; with the last
// but one it goes.
//
// Only mailboxes that keep no mod-sequences take part: those that do record
// every change they see under the folder's modseq lock, so each lists.
//
// Before listing, a mailbox looks at the folder by path (four lstat()s, see
// PathStamp); woken by the change hub (change_hub.h), the sessions of a
// process share that look too: the latest one is kept with the hub's
// generation read before it was taken, and serves every mailbox told of a
// change at that generation or before, since it was taken after the change.
// A mailbox refreshing for any other reason (a command, the poll) looks
// itself.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/keywords.h"
#include "store/mailbox.h"

namespace tern::store {

// What is seen of one file (an index, dovecot-keywords) to notice a change.
struct FileStamp {
  ino_t ino = 0;
  off_t size = -1;
  int64_t mtime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

// What is seen of a folder to notice a change: when none of it moved,
// neither did the folder's messages, their names or UIDs.
struct FolderStamp {
  int64_t cur_ns = -1, new_ns = -1;  // the directories' mtimes
  FileStamp index;                   // dovecot-uidlist
  bool operator==(const FolderStamp&) const = default;
};

// A folder looked at by path, without opening it.
struct PathStamp {
  dev_t dev = 0;  // which folder: one replaced since was not the one opened
  ino_t ino = 0;
  FolderStamp folder;
  bool keywords_looked = false;       // dovecot-keywords was looked at too:
  std::optional<FileStamp> keywords;  // nullopt if it could not be
};

struct FolderListing {
  FolderStamp stamp;  // taken before the listing
  uint32_t uidvalidity = 0, uidnext = 1;
  std::vector<MessageInfo> messages;  // by UID, without mod-sequences
  std::vector<std::string> names;     // parallel: the file names in cur/
  KeywordTable keywords;              // the letters' names the messages were read with
  std::optional<FileStamp> keywords_read;
  // The stamp moves with any later change (stamp_settle.h): an equal stamp
  // then proves nothing changed since. Until it settles, the listing serves
  // only mailboxes told of a change at `generation` or before (the change
  // hub's, read before the stamp): it includes every change told by then,
  // and a change after it is told again later.
  bool settled = true;
  uint64_t generation = 0;
};

class SharedListings {
 public:
  static SharedListings& process();  // this process's (never destroyed)

  // One mailbox's part in its folder's listings, from its opening to its end.
  class Member {
   public:
    Member(const Member&) = delete;
    Member& operator=(const Member&) = delete;
    ~Member();
    // Another mailbox of the process has the folder open: worth publishing.
    bool shared() const;
    // The listing published with exactly this stamp, if any.
    std::shared_ptr<const FolderListing> find(const FolderStamp& stamp) const;
    void publish(std::shared_ptr<const FolderListing> listing);
    // The latest look at the folder taken once the change hub's generation
    // was `generation` or later, if any.
    std::optional<PathStamp> stamp_since(uint64_t generation) const;
    // A look taken after reading the hub's generation as `generation`.
    void note_stamp(const PathStamp& stamp, uint64_t generation);

   private:
    friend class SharedListings;
    struct Entry {
      size_t members = 0;
      std::shared_ptr<const FolderListing> latest;
      PathStamp stamp;
      uint64_t stamp_generation = 0;  // 0: none
    };
    Member(SharedListings& owner, std::string dir, Entry* entry) : owner_(owner), dir_(std::move(dir)), entry_(entry) {}
    SharedListings& owner_;
    std::string dir_;
    Entry* entry_;  // stable: the map's nodes do not move
  };

  std::unique_ptr<Member> join(const std::string& dir);

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, Member::Entry> entries_;
};

}  // namespace tern::store
