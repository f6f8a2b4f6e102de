// Implementation of local submission (see submit_client.h).
#include "cli/submit_client.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/fd.h"
#include "base/strings.h"
#include "queue/spool.h"
#include "queue/writer.h"
#include "roles/submit_listener.h"

namespace tern::cli {

namespace {

// -1: no daemon listening (fall back); otherwise the outcome.
Result<std::string> via_socket(const std::string& path, const std::string& request, bool& no_daemon) {
  no_daemon = false;
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error::temp(std::string("socket: ") + strerror(errno));
  UniqueFd guard(fd);
  struct sockaddr_un sa {};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) return Error::perm("queue_directory path too long for a socket");
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd, reinterpret_cast<struct sockaddr*>(&sa), sizeof sa) != 0) {
    no_daemon = errno == ENOENT || errno == ECONNREFUSED;
    return Error::temp(std::string("connect ") + path + ": " + strerror(errno));
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

Result<std::string> direct(const config::Config& cfg, const queue::SubmitRequest& req) {
  queue::Spool spool(cfg.get("queue_directory"));
  (void)spool.init();  // first use before the daemon ever ran; fails harmlessly without permission
  if (::access(spool.area_dir(queue::Area::tmp).c_str(), W_OK) != 0)
    return Error::temp("the mail system is not running and the queue is not writable by this user");
  queue::Envelope env;
  env.arrival = ::time(nullptr);
  env.sender = req.sender;
  for (auto& r : req.recipients) env.recipients.push_back({r, false, 0});
  auto d = queue::Draft::create(spool, env);
  if (!d) return d.error();
  std::string id = (*d)->id();
  Status st = (*d)->append(roles::local_received_header(cfg.get("myhostname"), ::getuid(), id));
  if (st) st = (*d)->append(req.content);
  if (st) st = (*d)->finish();
  if (!st) return st.error();
  queue::Committer committer(spool, 1);
  st = committer.commit_sync(std::move(*d));
  if (!st) return st.error();
  return id;
}

}  // namespace

Result<std::string> submit(const config::Config& cfg, const queue::SubmitRequest& req) {
  // The daemon checks again; this also covers writing the queue directly.
  if (auto why = roles::local_header_limit_error(cfg, req.content); !why.empty()) return Error::perm(why);
  queue::Spool spool(cfg.get("queue_directory"));
  bool no_daemon = false;
  auto r = via_socket(spool.socket_path(), queue::encode_submit_request(req), no_daemon);
  if (r || !no_daemon) return r;
  return direct(cfg, req);
}

}  // namespace tern::cli
