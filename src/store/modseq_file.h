// The tern-modseq file of one Maildir folder on disk (format: modseq_log.h):
// its lock, the incremental read, appends and compaction.
//
// Lock: an flock on the file itself (taken again on the new file if a
// compaction replaced it meanwhile). Every record is appended under it,
// and so is every scan of cur/ whose result is recorded, so records never
// describe an older listing than one already recorded.
//
// Mod-sequences: the next one is the larger of the highest in the file + 1
// and the time in microseconds. Records are not fsynced (flag renames are
// not either); should a crash lose the last ones, the clock still gives
// every later change a mod-sequence above any a client was told, so a
// client's CHANGEDSINCE never misses a change.
//
// Compaction: once the file holds more than twice the records needed (live
// messages plus the last kKeptExpunges expunges) and 1024 more, it is
// rewritten (tmp, rename) under the lock.
//
// SECURITY: opened relative to the folder's descriptor with O_NOFOLLOW;
// a file that is not a regular file, or larger than kMaxModseqFile, is
// replaced by a fresh one.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "base/fd.h"
#include "base/result.h"
#include "store/modseq_log.h"

namespace tern::store {

constexpr const char* kModseqName = "tern-modseq";
constexpr size_t kKeptExpunges = 10000;
constexpr size_t kMaxModseqFile = size_t{256} << 20;

class ModseqFile {
 public:
  explicit ModseqFile(std::string dir_path) : dir_(std::move(dir_path)) {}

  // Locks the file of the folder open at dir_fd (creating it) and reads
  // what others appended since the last call. Unlocked by unlock() or the
  // destructor.
  Status lock(int dir_fd);
  // Under the lock: the table of this UIDVALIDITY; a file that is damaged,
  // new, or of another UIDVALIDITY is started afresh.
  Status adopt(int dir_fd, uint32_t uidvalidity);
  void unlock();
  bool locked() const { return locked_; }
  const ModseqTable& table() const { return table_; }

  // Under the lock: a new mod-sequence above every one in the file.
  uint64_t next();
  // Under the lock: buffered, then written by commit().
  void record_live(uint32_t uid, uint64_t modseq, std::string_view sig, uint64_t added);
  void record_expunged(uint32_t uid, uint64_t modseq);
  // Writes the buffered records (and compacts when due). Still locked.
  Status commit(int dir_fd);
  // Closes the file (release_handles); the next lock() opens it again.
  void close() {
    unlock();
    fd_.reset();
  }

 private:
  // Locked, the file the name holds now; *size: its size, seen under the lock.
  Status open_current(int dir_fd, off_t* size);
  Status start_afresh(int dir_fd, uint32_t uidvalidity, std::string_view why);
  Status catch_up(off_t size);  // reads what others appended, up to size
  Status replace(int dir_fd, const std::string& bytes);

  std::string dir_;
  UniqueFd fd_;
  ino_t ino_ = 0;
  off_t read_to_ = 0;  // bytes of the file applied to table_
  bool header_read_ = false;
  std::optional<std::string> damage_;  // why the file cannot be read (adopt starts it afresh)
  bool locked_ = false;
  ModseqTable table_;
  std::string pending_;
};

// Unlocks the file (if any) at the end of a scope.
struct ModseqUnlock {
  ModseqFile* file;
  ~ModseqUnlock() {
    if (file) file->unlock();
  }
};

}  // namespace tern::store
