// Implementation of a request to the daemon (see daemon_socket.h).
#include "cli/daemon_socket.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "base/fd.h"
#include "base/strings.h"

namespace tern::cli {

Result<std::string> ask_daemon(const std::string& path, std::string_view request, bool& no_daemon) {
  no_daemon = false;
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error::temp(std::string("socket: ") + strerror(errno));
  UniqueFd guard(fd);
  struct sockaddr_un sa {};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) return Error::perm("queue_directory path too long for a socket");
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd, reinterpret_cast<struct sockaddr*>(&sa), sizeof sa) != 0) {
    int err = errno;
    no_daemon = err == ENOENT || err == ECONNREFUSED;
    std::string why = std::string("connect ") + path + ": " + strerror(err);
    return err == EACCES || err == EPERM ? Error::perm(why) : Error::temp(why);
  }
  // MSG_NOSIGNAL: a daemon that refuses the connection (too many at once)
  // answers and closes before reading; its answer is still read below.
  Status st = ok_status();
  for (size_t off = 0; off < request.size();) {
    ssize_t n = ::send(fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      st = Error::temp(std::string("write ") + path + ": " + strerror(errno));
      break;
    }
    off += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string answer;
  char buf[512];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
    if (answer.size() > 4096) break;
  }
  while (!answer.empty() && (answer.back() == '\n' || answer.back() == '\r')) answer.pop_back();
  if (answer.rfind("OK ", 0) == 0) return answer.substr(3);
  if (answer.rfind("ERR perm ", 0) == 0) return Error::perm(str::printable(answer.substr(9)));
  if (answer.rfind("ERR temp ", 0) == 0) return Error::temp(str::printable(answer.substr(9)));
  if (!st) return st.error();
  return Error::temp("no answer from the mail system");
}

}  // namespace tern::cli
