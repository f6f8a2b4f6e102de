// Dotlocks made by link(2) rather than by creating a file. Taking
// dovecot-uidlist.lock with O_CREAT|O_EXCL makes and frees an inode for
// every lock, at every APPEND and COPY: the file system's inode allocator
// pays for each (on ext4 without a journal it skips, one by one, every
// inode freed in the last minutes), and so does the folder's directory.
// Instead the process keeps, per folder, a file of its own in the folder's
// tmp/ holding what the lock must say ("pid:host", read by Dovecot and by
// tern to break a dead holder's lock), touches it (a lock's age is its
// mtime) and links it under the lock's name: the link fails with EEXIST
// while another holds the lock, exactly like O_EXCL, and is atomic on NFS
// too. Unlocking removes the lock's name only; the holder stays for the
// next lock. Holders are removed when the process ends or has too many;
// one left by a process that died is an old file in tmp/, which the 36-hour
// tmp/ rule of Maildir (tern's and Dovecot's cleaners) removes.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/result.h"

namespace tern::store {

// One try at making lock_name in the folder open as dir_fd (its path
// dir_path). true: locked, *ino is the lock file's inode (to remove only
// our own later); false: another holds it (EEXIST). Where the folder has
// no usable tmp/ it falls back to O_CREAT|O_EXCL. The caller serializes
// tries on one folder within the process (UidlistLock's folder mutex).
Result<bool> try_link_dotlock(int dir_fd, const std::string& dir_path, const char* lock_name,
                              std::string_view content, ino_t* ino);

}  // namespace tern::store
