// The daemon's claim on its queue and its pid file. One daemon per queue:
// an exclusive flock on the queue directory itself, held for the daemon's
// life. queue_directory/pid then says which process holds it, for people
// and scripts to read; no tern command signals the pid in it (the queue
// tools talk to the daemon over its control socket, roles/control.h).
//
// SECURITY: the queue directory is writable by mail_owner, and the daemon
// starts as root. Nothing here opens a file that mail_owner could have
// planted: the lock is taken on the directory (opened O_NOFOLLOW), and the
// pid file is written to a new file created O_EXCL|O_NOFOLLOW and renamed
// over queue_directory/pid, so a symlink or hard link planted there is
// replaced, never written through or truncated.
#pragma once

#include <string>

#include "base/fd.h"
#include "base/result.h"

namespace tern::roles {

// queue_directory/pid.
std::string pid_file(const std::string& queue_directory);
// The lock (a temporary error if another daemon holds it), kept while the
// returned descriptor stays open.
Result<UniqueFd> lock_queue(const std::string& queue_directory);
// Writes this process's pid into pid_file(queue_directory) by write-and-rename.
Status write_pid_file(const std::string& queue_directory);

}  // namespace tern::roles
