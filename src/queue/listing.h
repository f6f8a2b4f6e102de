// Listing the queue for mailq, postqueue -p/-j and `tern queue list`: one
// pass over each area that reads only every file's envelope (never the
// content), with each pending recipient's last reason for delay from the
// defer notes. It exists apart from the scheduler because the tools read
// the queue directory directly, whether or not the daemon runs.
//
// Speed: with 100,000 queued messages a listing reads one directory per
// area, opens each file relative to its directory (openat, one read of the
// first 4 KiB), and opens a defer note only for the messages that have one
// (the defer/ directory is read once).
#pragma once

#include <cstdint>
#include <ctime>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "queue/spool.h"

namespace tern::queue {

struct ListedRecipient {
  std::string address;
  std::string reason;  // last reason for delay; empty if none recorded
};

struct ListedMessage {
  // Postfix's queue names: "active" (in active/, not tried yet or being
  // tried), "deferred" (in active/ with a defer note), "hold",
  // "corrupt" (quarantined).
  std::string queue_name;
  std::string id;
  std::time_t arrival = 0;
  uint64_t size = 0;  // content bytes; the file size if unreadable
  std::string sender;
  std::vector<ListedRecipient> recipients;  // pending ones only
  std::string error;                        // why the file could not be read
};

// The queue names a tool may name (postsuper -d ALL deferred), and whether
// a listed message is in one of them.
bool is_queue_name(std::string_view name);
bool in_queue(const ListedMessage& m, std::string_view name);

// A site for postqueue -s: a domain name (letters, digits, '.', '-', '_',
// not starting with '.' or '-') or an address literal ([192.0.2.1]), at
// most 255 bytes. The control socket and the tools accept nothing else.
bool valid_site(std::string_view site);

// The "recipient: reason" lines of a defer note, as a reason per address.
std::string reason_for(std::string_view note, std::string_view address);

// Every queue ID with its queue name (as ListedMessage::queue_name), from
// the directories alone: no queue file is opened. For postsuper's ALL.
struct QueuedId {
  std::string id;
  std::string queue_name;
};
std::vector<QueuedId> queued_ids(const Spool& spool);

// Calls fn for every message in active/, hold/ and corrupt/ (in that order,
// oldest first within each). Stops early if fn returns false.
void scan_queue(const Spool& spool, const std::function<bool(const ListedMessage&)>& fn);

}  // namespace tern::queue
