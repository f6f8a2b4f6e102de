// Accept loops of the IMAP listeners (see server.h).
#include "imap/server/server.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <sys/resource.h>
#include <algorithm>
#include <unistd.h>

#include "base/log.h"
#include "io/accept_loop.h"
#include "io/tcp_stream.h"
#include "imap/server/session.h"

namespace tern::imap {
namespace {

// An accepted socket re-made on another loop: its descriptor, wrapped there.
asio::ip::tcp::socket moved_to(asio::io_context& loop, asio::ip::tcp::socket& sock, asio::error_code& ec) {
  asio::ip::tcp::socket moved(loop);
  auto protocol = sock.local_endpoint(ec).protocol();
  if (ec) return moved;
  int fd = sock.release(ec);
  if (!ec) moved.assign(protocol, fd, ec);
  if (ec && fd >= 0) ::close(fd);
  return moved;
}

}  // namespace

ImapServer::ImapServer(asio::io_context& ctx, sasl::AuthFailures& failures, policy::RecentLogins* logins,
                       size_t threads)
    : ctx_(ctx), failures_(failures), logins_(logins) {
  // 0.1 ms slices (the kernel's least): an IMAP command is a short burst
  // of work, and with the cores busy a session woken by its client waits
  // for the running threads' slices. On the 2-core test machine this took
  // one more session's p99 latency from 5-7 ms to 2-4.6 ms under imaptest's
  // logged-in load at 10 clients (docs/configuration.md, "Threads").
  constexpr uint64_t kSliceNs = 100000;
  if (threads > 0) pool_ = std::make_unique<io::LoopPool>(threads, "tern-imap", kSliceNs);
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur > 1024)
    handle_slot_budget_ = static_cast<int64_t>((rl.rlim_cur - 1024) / 16);
  else if (rl.rlim_cur == RLIM_INFINITY)
    handle_slot_budget_ = int64_t{1} << 20;
  // Sessions: what RLIMIT_NOFILE leaves after the handle slots (four
  // descriptors each), eight per loop (its epoll, eventfd and timerfd, and
  // the folder a session refreshes on it: a loop runs one refresh at a
  // time), 64, and an eighth of the limit (at most 1024) for listeners,
  // deliveries, logs and the other protocols. Past it the process stops
  // accepting (io/accept_loop.h) rather than accept sessions that then fail
  // for want of a descriptor; with imap_processes > 1 the other processes
  // take the connections.
  if (rl.rlim_cur != RLIM_INFINITY) {
    const uint64_t limit = rl.rlim_cur;
    const uint64_t reserve = static_cast<uint64_t>(handle_slot_budget_) * 4 + 8 * std::max<uint64_t>(threads, 1) +
                             64 + std::min<uint64_t>(limit / 8, 1024);
    session_limit_ = limit > reserve ? static_cast<size_t>(limit - reserve) : 1;
  }
}

bool ImapServer::take_handle_slot() {
  if (handle_slots_used_.fetch_add(1, std::memory_order_relaxed) < handle_slot_budget_) return true;
  handle_slots_used_.fetch_sub(1, std::memory_order_relaxed);
  return false;
}

ImapServer::~ImapServer() { pool_.reset(); }

size_t ImapServer::session_count() const {
  std::lock_guard lock(sessions_mu_);
  return sessions_.size();
}

void ImapServer::add(Session* s) {
  std::lock_guard lock(sessions_mu_);
  sessions_.insert(s);
}

void ImapServer::remove(Session* s) {
  std::lock_guard lock(sessions_mu_);
  sessions_.erase(s);
}

void ImapServer::set_services(std::shared_ptr<const Services> s) {
  if (s) message_cache_.set_limit(static_cast<size_t>(s->settings.message_cache_bytes));
  std::lock_guard lock(services_mu_);
  services_ = std::move(s);
}

std::shared_ptr<const Services> ImapServer::services() const {
  std::lock_guard lock(services_mu_);
  return services_;
}

void ImapServer::listen(asio::ip::tcp::acceptor acceptor, bool implicit_tls) {
  acceptors_.push_back(std::make_unique<asio::ip::tcp::acceptor>(std::move(acceptor)));
  auto start = [this, implicit_tls](asio::ip::tcp::socket sock) {
    io::Peer peer = io::peer_of(sock);
    asio::io_context& loop = pool_ ? pool_->next() : ctx_;
    asio::error_code ec;
    auto stream = &loop == &ctx_ ? std::make_unique<io::TcpStream>(std::move(sock))
                                 : std::make_unique<io::TcpStream>(moved_to(loop, sock, ec));
    if (ec) {
      log::warn("imap: cannot hand the connection from [{}] to a session loop: {}", peer.ip, ec.message());
      return;
    }
    auto session = std::make_shared<Session>(*this, std::move(stream), std::move(peer), implicit_tls);
    // The session starts later on its loop: it is kept alive until then by
    // the function co_spawn holds (run() takes its own reference once it runs).
    asio::co_spawn(loop, [session]() { return session->run(); }, asio::detached);
  };
  auto full = [this] {
    if (session_count() < session_limit_) return false;
    // Said once a minute at most: at the limit, every session that ends
    // lets one more in, and the state flips with each.
    auto now = std::chrono::steady_clock::now();
    if (now >= next_full_log_) {
      next_full_log_ = now + std::chrono::minutes(1);
      log::warn("imap: {} sessions: this process's share of descriptors is used; new connections wait in the "
                "listen queue (raise the open file limit, or imap_processes)",
                session_limit_);
    }
    return true;
  };
  asio::co_spawn(ctx_,
                 io::accept_loop(*acceptors_.back(), [this] { return shutting_down(); }, start, "imap: ", full),
                 asio::detached);
}

void ImapServer::shutdown() {
  shutting_down_ = true;
  for (auto& a : acceptors_) {
    asio::error_code ec;
    a->close(ec);
  }
  // Each session is interrupted on its own loop; one already ending is skipped.
  std::lock_guard lock(sessions_mu_);
  for (auto* s : sessions_)
    asio::post(s->executor(), [weak = s->weak_from_this()] {
      if (auto live = weak.lock()) live->interrupt();
    });
}

}  // namespace tern::imap
