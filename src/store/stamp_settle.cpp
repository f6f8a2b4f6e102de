// Implementation of the settle rule (see stamp_settle.h).
#include "store/stamp_settle.h"

#include <linux/magic.h>
#include <sys/vfs.h>
#include <time.h>

namespace tern::store {
namespace {

constexpr int64_t kSecond = 1000000000;

}  // namespace

bool fine_stamps(int fd) {
  struct statfs fs;
  if (::fstatfs(fd, &fs) != 0) return false;
  switch (static_cast<long>(fs.f_type)) {
    case EXT4_SUPER_MAGIC:  // also ext2/ext3: their one-second stamps have no ns, see is_settled
    case XFS_SUPER_MAGIC:
    case BTRFS_SUPER_MAGIC:
    case TMPFS_MAGIC:
      return true;
    default:
      return false;
  }
}

SettleMark settle_mark(bool fine) {
  struct timespec now;
  ::clock_gettime(fine ? CLOCK_REALTIME_COARSE : CLOCK_REALTIME, &now);
  return {int64_t{now.tv_sec} * kSecond + now.tv_nsec, fine};
}

bool is_settled(int64_t mtime_ns, const SettleMark& mark) {
  // A stamp of a whole second may come from a file system that keeps no
  // more (ext4 with small inodes): the one-second rule then.
  if (mark.fine && mtime_ns % kSecond != 0) return mtime_ns < mark.now_ns;
  return mtime_ns < mark.now_ns - kSecond;
}

}  // namespace tern::store
