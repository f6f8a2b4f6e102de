// Implementation of the queue lock and pid file (see pid_file.h).
#include "roles/pid_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/fs.h"

namespace tern::roles {

std::string pid_file(const std::string& queue_directory) { return fs::join(queue_directory, "pid"); }

Result<UniqueFd> lock_queue(const std::string& queue_directory) {
  UniqueFd fd(::open(queue_directory.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return fs::errno_error("open", queue_directory, errno);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      return Error::temp(fmt::format("another tern daemon is already running on {} (lock on the directory)",
                                     queue_directory));
    return fs::errno_error("lock", queue_directory, errno);
  }
  return fd;
}

Status write_pid_file(const std::string& queue_directory) {
  return fs::write_file_atomic(pid_file(queue_directory), fmt::format("{}\n", ::getpid()), 0644);
}

}  // namespace tern::roles
