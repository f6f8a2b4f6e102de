// Implementation of child processes for delivery (see child.h).
#include "base/child.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <optional>
#include <vector>

#include "base/fd.h"

namespace tern::child {
namespace {

// The supplementary groups of `who`, looked up before the fork: the child
// of a threaded process must not look users up (initgroups reads the group
// database, allocating and taking locks that another thread may have held
// at the fork, so the child can hang for good; it did under ASan).
// nullopt: the lookup failed.
std::optional<std::vector<gid_t>> groups_of(const Identity& who) {
  std::vector<gid_t> groups;
  if (who.user.empty() || (::getuid() != 0 && ::geteuid() != 0)) return groups;
  int n = 32;
  for (int tries = 0; tries < 8; ++tries) {
    groups.resize(static_cast<size_t>(n));
    int got = n;
    if (::getgrouplist(who.user.c_str(), who.gid, groups.data(), &got) >= 0) {
      groups.resize(static_cast<size_t>(got));
      return groups;
    }
    if (got <= n) return std::nullopt;
    n = got;
  }
  return std::nullopt;
}

// In the child: only system calls, nothing that allocates.
bool switch_identity(const Identity& who, const std::vector<gid_t>& groups) {
  if (::getuid() != 0 && ::geteuid() != 0) return who.uid == ::geteuid();
  if (::setgroups(groups.size(), groups.data()) != 0) return false;
  if (::setgid(who.gid) != 0) return false;
  if (::setuid(who.uid) != 0) return false;
  return ::getuid() == who.uid && ::geteuid() == who.uid;
}

// Set once by cancel_all(): process-wide, as a shutdown is.
std::atomic<bool> g_cancelled{false};

long long now_ms() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

// Waits for pid, killing its process group after the deadline (or at
// cancel_all(), if cancellable).
int wait_with_deadline(pid_t pid, long long deadline_ms, bool& timed_out, bool cancellable = false) {
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return -1;
    if ((now_ms() > deadline_ms || (cancellable && g_cancelled.load())) && !timed_out) {
      timed_out = true;
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
    }
    struct timespec ts{0, 5 * 1000 * 1000};
    ::nanosleep(&ts, nullptr);
  }
}

}  // namespace

bool needs_shell(const std::string& c) {
  return c.find_first_of("\"'`$\\|&;<>(){}*?[]~#=\n") != std::string::npos;
}

std::vector<std::string> split_words(const std::string& c) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : c) {
    if (ch == ' ' || ch == '\t') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += ch;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

Result<CommandResult> run_command(const CommandSpec& spec) {
  std::vector<std::string> argv =
      needs_shell(spec.command) ? std::vector<std::string>{"/bin/sh", "-c", spec.command} : split_words(spec.command);
  if (argv.empty()) return Error::perm("empty command");
  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return Error::temp(std::string("pipe: ") + strerror(errno));
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    return Error::temp(std::string("pipe: ") + strerror(errno));
  }
  std::optional<std::vector<gid_t>> groups;
  if (spec.identity && !(groups = groups_of(*spec.identity))) {
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1]}) ::close(fd);
    return Error::temp(fmt::format("cannot look up the groups of {}", spec.identity->user));
  }
  std::vector<char*> cargv, cenv;
  for (auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (auto& e : spec.env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return Error::temp(std::string("fork: ") + strerror(errno));
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(out_pipe[1], 2);
    // Nothing else of ours: Asio's listening and client sockets are not
    // close-on-exec, and a command holding them would keep port 25 (and the
    // daemon's restart) hostage after tern exits.
    ::close_range(3, ~0U, 0);
    for (int sig = 1; sig < 32; ++sig) ::signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (spec.identity && !switch_identity(*spec.identity, *groups)) ::_exit(75);
    if (::chdir(spec.cwd.c_str()) != 0 && ::chdir("/") != 0) ::_exit(75);
    if (cargv[0][0] == '/')
      ::execve(cargv[0], cargv.data(), cenv.data());
    else
      ::execvpe(cargv[0], cargv.data(), cenv.data());
    ::_exit(errno == ENOENT ? 69 : 75);  // EX_UNAVAILABLE / EX_TEMPFAIL
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  UniqueFd to_child(in_pipe[1]), from_child(out_pipe[0]);
  ::fcntl(to_child.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(from_child.get(), F_SETFL, O_NONBLOCK);
  CommandResult res;
  long long deadline = now_ms() + spec.timeout_s * 1000LL;
  size_t written = 0;
  if (spec.input.empty()) to_child.reset();
  while (from_child.valid()) {
    struct pollfd p[2];
    int n = 0;
    p[n++] = {from_child.get(), POLLIN, 0};
    if (to_child.valid()) p[n++] = {to_child.get(), POLLOUT, 0};
    long long left = deadline - now_ms();
    if (left <= 0 || g_cancelled.load()) {
      res.timed_out = true;
      ::kill(-pid, SIGKILL);
      break;
    }
    int r = ::poll(p, n, static_cast<int>(left > 100 ? 100 : left));
    if (r < 0 && errno != EINTR) break;
    if (n == 2 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = ::write(to_child.get(), spec.input.data() + written, spec.input.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if (w < 0 && errno != EAGAIN) to_child.reset();  // EPIPE: the command did not read it all
      if (written == spec.input.size()) to_child.reset();
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[4096];
      ssize_t rd = ::read(from_child.get(), buf, sizeof buf);
      if (rd > 0) {
        if (res.output.size() < 1024) res.output.append(buf, std::min<size_t>(rd, 1024 - res.output.size()));
      } else if (rd == 0 || (rd < 0 && errno != EAGAIN)) {
        from_child.reset();
      }
    }
  }
  to_child.reset();
  from_child.reset();
  int status = wait_with_deadline(pid, res.timed_out ? now_ms() : deadline, res.timed_out, /*cancellable=*/true);
  if (!res.timed_out) {
    if (WIFEXITED(status)) {
      res.exit_code = WEXITSTATUS(status);
    } else {
      res.signaled = true;
    }
  }
  return res;
}

void cancel_all() { g_cancelled = true; }

namespace {

// Runs fn in a child switched to `who`; its answer comes back through a
// pipe as one message: 'O' + payload, or 'T'/'P' + dsn + '|' + detail.
Result<std::string> run_as_message(const Identity& who, const std::function<Result<std::string>()>& fn,
                                   int timeout_s, size_t max_payload) {
  const auto groups = groups_of(who);
  if (!groups) return Error::temp(fmt::format("cannot look up the groups of {}", who.user));
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return Error::temp(std::string("pipe: ") + strerror(errno));
  const pid_t parent = ::getpid();  // an orphan is re-parented to init or a subreaper, not always pid 1
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(p[0]);
    ::close(p[1]);
    return Error::temp(std::string("fork: ") + strerror(errno));
  }
  if (pid == 0) {
    ::close(p[0]);
    // This child holds every descriptor of the daemon (listeners, the pid
    // file lock): it must not outlive a daemon killed with -9, or the
    // restart cannot bind or lock. Its work is then undone like the
    // daemon's own (mbox append record, Maildir unnamed file).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(0);
    std::string msg;
    if (!switch_identity(who, *groups)) {
      msg = "T" + fmt::format("cannot switch to uid {}", who.uid);
    } else {
      // A change of uid clears the parent-death signal (prctl(2)): arm it
      // again, and check again that the daemon did not die in between.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(0);
      auto r = fn();
      if (r && r->size() > max_payload) r = Error::temp("answer too large");
      msg = r ? "O" + *r
              : std::string(r.error().is_temporary() ? "T" : "P") + r.error().dsn + "|" + r.error().detail;
    }
    for (size_t off = 0; off < msg.size();) {
      ssize_t n = ::write(p[1], msg.data() + off, msg.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ::_exit(0);
  }
  ::close(p[1]);
  UniqueFd rd(p[0]);
  std::string msg;
  long long deadline = now_ms() + timeout_s * 1000LL;
  for (;;) {
    struct pollfd pf{rd.get(), POLLIN, 0};
    long long left = deadline - now_ms();
    if (left <= 0) break;
    int r = ::poll(&pf, 1, static_cast<int>(left > 1000 ? 1000 : left));
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(rd.get(), buf, sizeof buf);
    if (n <= 0) break;
    if (msg.size() <= max_payload + 1024) msg.append(buf, static_cast<size_t>(n));
  }
  bool timed_out = false;
  wait_with_deadline(pid, deadline, timed_out);
  if (msg.empty()) return Error::temp(timed_out ? "delivery timed out" : "delivery process died");
  if (msg[0] == 'O') return msg.substr(1);
  std::string rest = msg.substr(1);
  std::string dsn, detail = rest;
  auto bar = rest.find('|');
  if (bar != std::string::npos) {
    dsn = rest.substr(0, bar);
    detail = rest.substr(bar + 1);
  }
  Error e = msg[0] == 'P' ? Error::perm(detail) : Error::temp(detail);
  e.dsn = dsn;
  return e;
}

}  // namespace

Status run_as(const Identity& who, const std::function<Status()>& fn, int timeout_s) {
  auto r = run_as_message(
      who,
      [&]() -> Result<std::string> {
        Status st = fn();
        if (!st) return st.error();
        return std::string();
      },
      timeout_s, 0);
  if (!r) return r.error();
  return ok_status();
}

Result<std::string> run_as_output(const Identity& who, const std::function<Result<std::string>()>& fn,
                                  size_t max_bytes, int timeout_s) {
  return run_as_message(who, fn, timeout_s, max_bytes);
}

}  // namespace tern::child
