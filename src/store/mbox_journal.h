// Internal to store: the append record a tern mbox delivery keeps in its
// dot-lock, so that a delivery killed in the middle of an append (kill -9,
// power loss) can be undone by the next one (RELIABILITY.md #39). As
// Postfix and Dovecot do on a write error, it remembers the size before the
// append; unlike them it survives the writer's death.
//
// The record names its holder (host, pid, process start time, boot id) so
// that a lock left by a dead tern on this host is recognised at once, not
// after the 5-minute staleness rule that applies to other programs' locks
// (and to tern's on other hosts sharing the spool over NFS).
//
// SECURITY: the record is read from a file in a directory other users may
// write; the parser is bounded and accepts only its own exact format, and
// the caller acts on it only for the mailbox it has open and locked.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tern::store {

struct AppendRecord {
  std::string host;          // gethostname(); a lock from another host is never judged here
  int64_t pid = 0;
  uint64_t start_ticks = 0;  // /proc/PID/stat field 22: tells a reused pid apart
  std::string boot_id;       // /proc/sys/kernel/random/boot_id
  // The append in progress; has_append false while the lock is only held.
  bool has_append = false;
  uint64_t dev = 0, ino = 0;
  uint64_t size_before = 0, size_after = 0;
};

// The record for this process, without an append.
AppendRecord record_for_self();
// One line: "tern-mbox-append 1 host=.. pid=.. start=.. boot=.. [dev=.. ino=.. from=.. to=..]\n".
std::string format_record(const AppendRecord& r);
// Pure; nullopt for anything that is not exactly a record (other programs'
// locks hold a pid or nothing).
std::optional<AppendRecord> parse_record(std::string_view text);
// True if the process that wrote r on this host no longer exists (other
// boot, or no process with that pid and start time). False for other hosts.
bool holder_is_gone(const AppendRecord& r);

}  // namespace tern::store
