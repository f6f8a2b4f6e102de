// Implementation of the root-owned local delivery process (see local_helper.h).
#include "roles/local_helper.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "base/child.h"
#include "base/fd.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/strings.h"
#include "config/config.h"
#include "queue/reader.h"
#include "queue/spool.h"
#include "roles/services.h"
#include "tls/server_context.h"

namespace tern::roles {

namespace {

constexpr const char kReload[] = "RELOAD";
constexpr size_t kMaxDatagram = 70000;                               // a request
constexpr size_t kMaxReplyDatagram = delivery::kMaxFileReply + 4096;  // a reply, a file's at most
constexpr auto kFileTimeout = std::chrono::seconds(10);

delivery::DeliveryReply failure(uint64_t tag, const Error& e) {
  return {tag, false, e.is_temporary(), e.dsn, e.detail};
}

// The queue file, read once (envelope and content from the same bytes)
// through directory handles: the queue directory and active/ belong to
// mail_owner, so as root no name below queue_directory is followed or
// looked up twice (RELIABILITY.md #56).
Result<std::string> read_queue_file(const queue::Spool& spool, const std::string& id) {
  std::string active = spool.area_dir(queue::Area::active);
  UniqueFd q(::open(spool.dir().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!q.valid()) return fs::errno_error("open", spool.dir(), errno);
  UniqueFd a(::openat(q.get(), fs::basename(active).c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!a.valid()) return fs::errno_error("open", active, errno);
  std::string path = spool.path(queue::Area::active, id);
  UniqueFd f(::openat(a.get(), id.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  struct stat st;
  if (!f.valid() || ::fstat(f.get(), &st) != 0) return fs::errno_error("open", path, errno);
  if (!S_ISREG(st.st_mode)) return Error::temp(path + " is not a regular file");
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::pread(f.get(), out.data() + got, out.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fs::errno_error("read", path, errno);
    if (n == 0) return Error::temp(path + " shrank while being read");
    got += static_cast<size_t>(n);
  }
  return out;
}

// One request, in a forked child of the helper.
delivery::DeliveryReply handle(const ServiceSet& svc, const delivery::DeliveryRequest& req) {
  uint64_t tag = req.tag;
  if (!queue::Spool::valid_id(req.queue_id)) return failure(tag, Error::perm("bad queue ID"));
  queue::Spool spool(svc.delivery->cfg->get("queue_directory"));
  auto bytes = read_queue_file(spool, req.queue_id);
  if (!bytes) return failure(tag, Error::temp("queue file: " + bytes.error().detail));
  auto env = queue::parse_queue_file(*bytes, req.queue_id);
  if (!env) return failure(tag, Error::temp("queue file: " + env.error().detail));
  const queue::Recipient* pending = nullptr;
  for (auto& r : env->recipients)
    if (!r.done && r.address == req.recipient) pending = &r;
  if (!pending) return failure(tag, Error::temp("recipient is not pending in the queue file"));
  auto targets = svc.delivery->rewriter->expand(req.recipient);
  if (!targets) return failure(tag, targets.error());
  bool known = false;
  for (auto& t : *targets) known |= delivery::same_target(t, req.target);
  if (!known) {
    log::warn("{}: local delivery request for a target the recipient does not expand to; refused", req.queue_id);
    return failure(tag, Error::temp("target does not match the recipient's expansion"));
  }
  // A target the queue file records as delivered ('X', for this recipient
  // or, as one copy per final target, for any) is not delivered again,
  // whoever asks.
  bool with_ext = !svc.delivery->cfg->get("mailbox_command").empty();
  if (env->target_done(*pending, delivery::target_key(req.target)) ||
      env->target_done_for_any(delivery::final_target_key(req.target, with_ext)))
    return {tag, true, false, "2.0.0", "already delivered"};
  std::string_view content = std::string_view(*bytes).substr(env->content_offset, env->content_size);
  delivery::LocalAgent agent(svc.delivery->cfg);
  auto d = agent.deliver(*env, content, req.target, req.recipient);
  if (!d) return failure(tag, d.error());
  return {tag, true, false, "2.0.0", d->how, std::move(d->forward_to)};
}

std::shared_ptr<const config::Config> load_config(const ServeOptions& opt) {
  auto r = opt.demo ? config::load_string(config::embedded_demo_config(), "(embedded demo config)")
                    : config::load_file(opt.config_path);
  return r.config;
}

// A TLS file for the daemon's reload: read only if the configuration as it
// is on disk now names it as a certificate or key file.
Result<std::string> read_tls_file(const ServeOptions& opt, const std::string& path) {
  auto cfg = load_config(opt);
  if (!cfg) return Error::perm("the configuration does not load");
  auto named = tls::files_named(*cfg);
  if (!named) return named.error();
  if (std::find(named->begin(), named->end(), path) == named->end()) {
    log::warn("local delivery process: request for {}, which the configuration names as no TLS file; refused",
              str::printable(path, 200));
    return Error::perm(path + " is not a certificate or key file of the configuration");
  }
  return tls::read_from_disk(path);
}

[[noreturn]] void run_helper(int fd, const ServeOptions& opt) {
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  ::signal(SIGINT, SIG_IGN);  // the daemon's terminal Ctrl-C; we stop when the daemon does
  auto cfg = load_config(opt);
  auto svc = cfg ? build_services(cfg) : Result<ServiceSet>(Error::perm("configuration"));
  if (!svc) {
    log::error("local delivery process: cannot start: {}", svc.error().detail);
    ::_exit(78);
  }
  std::string buf(kMaxDatagram, '\0');
  std::set<pid_t> children;
  constexpr size_t kMaxChildren = 64;  // a flood of requests never forks without bound
  for (;;) {
    for (pid_t p; !children.empty() && (p = ::waitpid(-1, nullptr, children.size() >= kMaxChildren ? 0 : WNOHANG)) > 0;)
      children.erase(p);
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the daemon is gone
    std::string_view msg(buf.data(), static_cast<size_t>(n));
    if (msg == kReload) {
      auto fresh = load_config(opt);
      auto built = fresh ? build_services(fresh) : Result<ServiceSet>(Error::perm("configuration"));
      if (built)
        svc = std::move(built);
      else
        log::error("local delivery process: reload failed; keeping the old configuration");
      continue;
    }
    if (auto f = delivery::decode_file_request(msg)) {
      auto reply = delivery::encode_file_reply(f->tag, read_tls_file(opt, f->path));
      ssize_t ignored = ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
      (void)ignored;
      continue;
    }
    auto req = delivery::decode_request(msg);
    if (!req) {
      log::warn("local delivery process: malformed request ignored: {}", req.error().detail);
      continue;
    }
    pid_t pid = ::fork();
    if (pid > 0) children.insert(pid);
    if (pid == 0) {
      // The daemon is stopping (see below): cut a running command short.
      ::signal(SIGTERM, [](int) { child::cancel_all(); });
      auto reply = delivery::encode_reply(handle(*svc, *req));
      ssize_t ignored = ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
      (void)ignored;
      ::_exit(0);
    }
    if (pid < 0) {
      auto reply = delivery::encode_reply(failure(req->tag, Error::temp("fork failed")));
      ssize_t ignored = ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
      (void)ignored;
    }
  }
  // The daemon is gone (stopped, or past its shutdown_timeout): stop the
  // commands still running, which will be retried, and leave.
  for (pid_t p : children) ::kill(p, SIGTERM);
  while (::wait(nullptr) > 0) {
  }
  ::_exit(0);
}

}  // namespace

Result<int> start_local_helper(const ServeOptions& opt, const std::vector<int>& close_in_child) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return Error::perm(std::string("socketpair: ") + strerror(errno));
  pid_t pid = ::fork();
  if (pid < 0) return Error::perm(std::string("fork: ") + strerror(errno));
  if (pid == 0) {
    ::close(sv[0]);
    for (int fd : close_in_child) ::close(fd);
    run_helper(sv[1], opt);
  }
  ::close(sv[1]);
  log::info("local delivery process started (pid {})", pid);
  return sv[0];
}

HelperLink::HelperLink(int fd) : fd_(fd) { reader_ = std::thread([this] { read_replies(); }); }

HelperLink::~HelperLink() {
  ::shutdown(fd_, SHUT_RDWR);
  if (reader_.joinable()) reader_.join();
  ::close(fd_);
}

void HelperLink::read_replies() {
  std::string buf(kMaxReplyDatagram, '\0');
  for (;;) {
    ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    auto r = delivery::decode_reply(std::string_view(buf.data(), static_cast<size_t>(n)));
    if (!r) continue;
    std::lock_guard lock(mu_);
    replies_[r->tag] = std::make_unique<delivery::DeliveryReply>(std::move(*r));
    cv_.notify_all();
  }
  std::lock_guard lock(mu_);
  dead_ = true;
  cv_.notify_all();
}

void HelperLink::close() { ::shutdown(fd_, SHUT_RDWR); }

void HelperLink::request_reload() { (void)::send(fd_, kReload, sizeof kReload - 1, MSG_NOSIGNAL); }

Result<std::string> HelperLink::read_file(const std::string& path) {
  delivery::FileRequest req;
  {
    std::lock_guard lock(mu_);
    req.tag = next_tag_++;
  }
  req.path = path;
  auto bytes = delivery::encode_file_request(req);
  if (::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size()))
    return Error::temp("cannot read " + path + ": the local delivery process is unavailable");
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, kFileTimeout, [&] { return dead_ || replies_.count(req.tag); });
  auto it = replies_.find(req.tag);
  if (it == replies_.end()) return Error::temp("cannot read " + path + ": the local delivery process did not answer");
  auto reply = std::move(it->second);
  replies_.erase(it);
  if (reply->ok) return std::move(reply->text);
  return Error::perm(reply->text + " [asked of the local delivery process, which reads it as root]");
}

Result<delivery::Delivered> HelperLink::call(delivery::DeliveryRequest req) {
  {
    std::lock_guard lock(mu_);
    req.tag = next_tag_++;
  }
  auto bytes = delivery::encode_request(req);
  if (::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size()))
    return Error::temp("local delivery process unavailable");
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return dead_ || replies_.count(req.tag); });
  auto it = replies_.find(req.tag);
  if (it == replies_.end()) return Error::temp("local delivery process died");
  auto reply = std::move(it->second);
  replies_.erase(it);
  if (reply->ok) return delivery::Delivered{reply->text, std::move(reply->forward_to)};
  Error e = reply->temporary ? Error::temp(reply->text) : Error::perm(reply->text);
  e.dsn = reply->dsn;
  return e;
}

Result<delivery::Delivered> HelperAgent::deliver(const queue::Envelope& env, std::string_view content,
                                                 const rewrite::Target& t, const std::string& original) const {
  if (!delivery::needs_privilege(t)) return unprivileged_->deliver(env, content, t, original);
  delivery::DeliveryRequest req;
  req.queue_id = env.id;
  req.recipient = original;
  req.target = t;
  return link_->call(std::move(req));
}

}  // namespace tern::roles
