// Spool: the queue directory's layout and the operations on whole queue
// files (list, move between states, quarantine, recover after a crash).
//
//   queue_directory/tmp/      messages being received (never delivered)
//   queue_directory/active/   committed messages waiting for delivery
//   queue_directory/hold/     messages put on hold by the administrator
//   queue_directory/corrupt/  quarantined files that failed to parse
//   queue_directory/defer/    one text file per deferred message: the last
//                             reason per recipient, for mailq (not durable)
//   queue_directory/public/   the submission socket for sendmail(1)
//
// Queue IDs are 16 upper-case hex digits: arrival seconds, microseconds, and
// a per-process counter mixed with the pid; a collision is caught by O_EXCL.
// They sort by arrival and never contain a path separator.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace tern::queue {

enum class Area { tmp, active, hold, corrupt, defer };

class Spool {
 public:
  explicit Spool(std::string dir) : dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }
  std::string area_dir(Area a) const;
  std::string path(Area a, const std::string& id) const;
  std::string socket_path() const;

  // Creates the directories if missing: the queue directory and public/
  // 0711, the areas 0700.
  Status init() const;
  static std::string new_id();
  static bool valid_id(std::string_view id);

  // IDs in an area, sorted (oldest first).
  std::vector<std::string> list(Area a) const;
  // Finds which area holds id (active, hold or corrupt).
  Result<Area> locate(const std::string& id) const;
  Status move(const std::string& id, Area from, Area to) const;
  // Removes a message from every area, with its defer note.
  Status remove(const std::string& id) const;
  // After a crash: delete everything in tmp/ (never acknowledged).
  int remove_partial() const;

  // The defer note: "recipient: reason" lines for mailq.
  void write_defer_note(const std::string& id, const std::string& text) const;
  std::string read_defer_note(const std::string& id) const;
  // The next attempt's time, kept as the defer note's mtime (as Postfix
  // keeps it on its deferred queue files), so a restart does not retry
  // every deferred message at once. None without a note.
  void set_next_attempt(const std::string& id, std::time_t when) const;
  std::optional<std::time_t> next_attempt(const std::string& id) const;

 private:
  std::string dir_;
};

}  // namespace tern::queue
