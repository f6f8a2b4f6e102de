// Implementation of the log facade: formats the Postfix-like prefix
// ("Nov 23 09:40:01 host tern/smtpd[pid]: ") and writes whole lines with one
// write(2) so lines from several threads or processes never interleave.
#include "base/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "base/strings.h"

namespace tern::log {
namespace {

struct Sink {
  std::mutex mu;
  int fd = 2;
  bool use_syslog = false;
  std::string program = "tern";
  std::string host;
  std::atomic<bool> debug{false};
};

Sink& sink() {
  static Sink s;
  return s;
}

const char* level_prefix(Level l) {
  switch (l) {
    case Level::warning: return "warning: ";
    case Level::error: return "error: ";
    case Level::fatal: return "fatal: ";
    default: return "";
  }
}

// Opens the log file for appending without following a symlink, and
// checks the file it got (by handle, so nothing can be swapped in between).
Result<int> open_log_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0640);
  if (fd < 0) {
    int e = errno;
    if (e == ELOOP) return Error::perm(fmt::format("{}: is a symbolic link; refusing to log to it", path));
    return Error::perm(fmt::format("cannot open {}: {}", path, std::strerror(e)));
  }
  struct stat st {};
  std::string why;
  if (::fstat(fd, &st) != 0)
    why = std::strerror(errno);
  else if (!S_ISREG(st.st_mode))
    why = "not a regular file";
  else if (st.st_nlink != 1)
    why = fmt::format("file has {} hard links", st.st_nlink);
  else if (st.st_uid != 0 && st.st_uid != ::geteuid())
    why = fmt::format("file is owned by another user (uid {})", st.st_uid);
  if (why.empty()) return fd;
  ::close(fd);
  return Error::perm(fmt::format("{}: {}; refusing to log to it (make it a plain file with one link, owned by root "
                                 "or by the user tern starts as, or point maillog_file elsewhere)",
                                 path, why));
}

}  // namespace

Status configure(const std::string& target, const std::string& program) {
  Sink& s = sink();
  std::lock_guard lock(s.mu);
  s.program = program;
  char h[256] = {0};
  ::gethostname(h, sizeof h - 1);
  s.host = h;
  if (s.fd > 2) ::close(s.fd);
  s.fd = 2;
  s.use_syslog = false;
  if (target.empty() || target == "stderr" || target == "/dev/stderr") return ok_status();
  if (target == "/dev/stdout") {  // a symlink into /proc: the descriptor itself, as Postfix does
    s.fd = 1;
    return ok_status();
  }
  if (target == "syslog") {
    s.use_syslog = true;
    ::openlog("tern", LOG_PID | LOG_NDELAY, LOG_MAIL);
    return ok_status();
  }
  auto fd = open_log_file(target);
  if (!fd) return fd.error();
  s.fd = *fd;
  return ok_status();
}

void set_debug(bool on) { sink().debug = on; }

void set_program(const std::string& program) {
  Sink& s = sink();
  std::lock_guard lock(s.mu);
  s.program = program;
}

void write(Level level, std::string_view raw) {
  Sink& s = sink();
  if (level == Level::debug && !s.debug) return;
  std::string line = str::escape_log(raw);
  if (s.use_syslog) {
    int pri = level == Level::error || level == Level::fatal ? LOG_ERR
              : level == Level::warning                      ? LOG_WARNING
              : level == Level::debug                        ? LOG_DEBUG
                                                             : LOG_INFO;
    ::syslog(pri, "%s%s", level_prefix(level), line.c_str());
    return;
  }
  time_t now = ::time(nullptr);
  struct tm tm;
  ::localtime_r(&now, &tm);
  char ts[32];
  ::strftime(ts, sizeof ts, "%b %e %H:%M:%S", &tm);
  std::string out = fmt::format("{} {} {}[{}]: {}{}\n", ts, s.host, s.program, ::getpid(), level_prefix(level), line);
  std::lock_guard lock(s.mu);
  ssize_t ignored = ::write(s.fd, out.data(), out.size());
  (void)ignored;
}

}  // namespace tern::log
