// Implementation of the log facade: formats the Postfix-like prefix
// ("Nov 23 09:40:01 host tern/smtpd[pid]: ") and writes whole lines with one
// write(2) so lines from several threads or processes never interleave.
#include "base/log.h"

#include <fcntl.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <mutex>

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

}  // namespace

void configure(const std::string& target, const std::string& program) {
  Sink& s = sink();
  std::lock_guard lock(s.mu);
  s.program = program;
  char h[256] = {0};
  ::gethostname(h, sizeof h - 1);
  s.host = h;
  if (s.fd > 2) ::close(s.fd);
  s.fd = 2;
  s.use_syslog = false;
  if (target.empty() || target == "stderr") return;
  if (target == "syslog") {
    s.use_syslog = true;
    ::openlog("tern", LOG_PID | LOG_NDELAY, LOG_MAIL);
    return;
  }
  int fd = ::open(target.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd >= 0) s.fd = fd;
}

void set_debug(bool on) { sink().debug = on; }

void write(Level level, std::string_view line) {
  Sink& s = sink();
  if (level == Level::debug && !s.debug) return;
  if (s.use_syslog) {
    int pri = level == Level::error || level == Level::fatal ? LOG_ERR
              : level == Level::warning                      ? LOG_WARNING
              : level == Level::debug                        ? LOG_DEBUG
                                                             : LOG_INFO;
    ::syslog(pri, "%s%.*s", level_prefix(level), static_cast<int>(line.size()), line.data());
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
