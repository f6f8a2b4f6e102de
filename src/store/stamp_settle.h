// When a stamp taken of a folder (the mtime of a directory or an index file)
// can be trusted to move with the next change, so that an equal stamp later
// means "nothing changed" and the folder need not be listed again.
//
// The kernel stamps a change with its coarse clock (one tick, a few ms), so a
// change made in the same tick as the stamp leaves it equal. Dovecot's
// maildir sync, and tern until now, trusted a stamp only once it was a second
// old: a session that changes its own folder at every command then lists it
// at every command too. On a local file system whose stamps carry
// nanoseconds (ext4 with large inodes, XFS, Btrfs, tmpfs), a stamp older than
// the coarse clock read *before* it was taken is enough: every change after
// that read is stamped at or after it, so differs. Elsewhere (NFS, overlay,
// FUSE, one-second stamps, whose nanoseconds are 0) the one-second rule holds.
#pragma once

#include <sys/stat.h>

#include <cstdint>

namespace tern::store {

struct SettleMark {
  int64_t now_ns = 0;  // the clock, read before the stamp
  bool fine = false;   // the file system's stamps follow the coarse clock to the ns
};

// A file's mtime in nanoseconds since the epoch: what a stamp compares.
inline int64_t mtime_ns_of(const struct stat& st) { return int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec; }

// Whether the file system of `fd` is one of those with nanosecond stamps.
bool fine_stamps(int fd);

// Read before taking the stamp that is_settled() will judge.
SettleMark settle_mark(bool fine);

// Whether a stamp with this mtime, taken after `mark`, moves with any later change.
bool is_settled(int64_t mtime_ns, const SettleMark& mark);

}  // namespace tern::store
