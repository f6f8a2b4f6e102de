// Implementation of the local submission listener (see submit_listener.h).
#include "roles/submit_listener.h"

#include <algorithm>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <fmt/format.h>

#include "base/log.h"
#include "base/strings.h"
#include "base/time.h"
#include "mail/header_limit.h"
#include "queue/submission.h"
#include "smtp/server/async_commit.h"

namespace tern::roles {

std::string local_received_header(const std::string& hostname, unsigned uid, const std::string& id) {
  return fmt::format("Received: by {} (tern, from userid {})\n\tid {}; {}\n", hostname, uid, id,
                     rfc5322_date(::time(nullptr)));
}

namespace {

// The connecting user, from the kernel (never from the request).
unsigned peer_uid(asio::local::stream_protocol::socket& sock) {
  struct ucred cred {};
  socklen_t len = sizeof cred;
  ::getsockopt(sock.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len);
  return cred.uid;
}

}  // namespace

std::string local_header_limit_error(const config::Config& cfg, std::string_view content) {
  mail::HeaderLimiter limiter(static_cast<uint64_t>(cfg.bytes("header_size_limit")),
                              static_cast<uint64_t>(cfg.integer("header_line_limit")));
  switch (limiter.feed(content)) {
    case mail::HeaderLimiter::Verdict::too_big: return "message header size exceeds header_size_limit";
    case mail::HeaderLimiter::Verdict::too_many_lines: return "too many message header lines (header_line_limit)";
    default: return "";
  }
}

SubmitListener::SubmitListener(asio::io_context& ctx, const queue::Spool& spool, queue::Committer& committer,
                               smtp::SmtpServer& source)
    : spool_(spool), committer_(committer), source_(source), listener_(ctx) {}

Status SubmitListener::start() {
  return listener_.start(spool_.socket_path(), 0666, 64,
                         [this](asio::local::stream_protocol::socket sock) { return on_connection(std::move(sock)); });
}

void SubmitListener::stop() { listener_.stop(); }

asio::awaitable<void> SubmitListener::on_connection(asio::local::stream_protocol::socket sock) {
  auto services = source_.services();
  if (active_ >= static_cast<size_t>(services->cfg->integer("local_submit_connection_limit"))) {
    co_await refuse(std::move(sock));
    co_return;
  }
  // Counted until the handler ends, however it ends.
  struct Active {
    size_t& n;
    explicit Active(size_t& c) : n(++c) {}
    ~Active() { --n; }
  } active(active_);
  co_await handle(std::move(sock));
}

asio::awaitable<void> SubmitListener::refuse(asio::local::stream_protocol::socket sock) {
  log::warn("local submission from uid {} refused: {} connections already (local_submit_connection_limit)",
            peer_uid(sock), active_);
  static const std::string answer = "ERR temp too many local submissions at once; try again later\n";
  asio::error_code ec;
  // Nonblocking and tiny: fits the socket buffer whatever the client does.
  co_await asio::async_write(sock, asio::buffer(answer), asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> SubmitListener::handle(asio::local::stream_protocol::socket sock) {
  auto services = source_.services();
  const auto& cfg = *services->cfg;
  // A local submission is held in memory until it is queued: without a
  // message_size_limit it may still be at most 1 GiB.
  size_t max_content = static_cast<size_t>(std::min<uint64_t>(cfg.limit_bytes("message_size_limit"), uint64_t{1} << 30));
  unsigned uid = peer_uid(sock);
  std::string request;
  char buf[65536];
  asio::error_code ec;
  std::string answer;
  // One deadline for the whole request: sendmail has the message in memory
  // before it connects, so only a stalled or hostile client is this slow.
  // The socket is only cancelled, not closed, so the coroutine still owns it.
  asio::steady_timer deadline(sock.get_executor());
  deadline.expires_after(std::chrono::seconds(cfg.seconds("local_submit_timeout")));
  bool timed_out = false;
  deadline.async_wait([&sock, &timed_out](const asio::error_code& e) {
    if (e) return;
    timed_out = true;
    asio::error_code ignored;
    sock.cancel(ignored);
  });
  for (;;) {
    size_t n = co_await sock.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    request.append(buf, n);
    if (request.size() > max_content + 65536) {
      answer = "ERR perm message too large\n";
      break;
    }
  }
  deadline.cancel();
  if (timed_out) {
    log::warn("local submission from uid {}: timeout after {} bytes; connection closed", uid, request.size());
    co_return;
  }
  if (answer.empty()) {
    auto req = queue::decode_submit_request(request, max_content, static_cast<size_t>(cfg.integer("smtpd_recipient_limit")));
    std::string header_error = req ? local_header_limit_error(cfg, req->content) : "";
    if (!req) {
      log::warn("local submission from uid {}: bad request: {}", uid, req.error().detail);
      answer = "ERR perm " + req.error().detail + "\n";
    } else if (!header_error.empty()) {
      log::info("NOQUEUE: reject: local submission from uid {}: {}; from=<{}>", uid, header_error,
                str::printable(req->sender));
      answer = "ERR perm " + header_error + "\n";
    } else {
      queue::Envelope env;
      env.set_arrival_now();
      env.client = "local";
      env.protocol = "local";
      env.sender = req->sender;
      for (auto& r : req->recipients) env.recipients.push_back({r, false, 0, 0, {}});
      auto d = queue::Draft::create(spool_, env, services->canonical);
      Status st = d ? ok_status() : Status(d.error());
      std::string id = d ? (*d)->id() : "NOQUEUE";
      if (st) st = (*d)->append(local_received_header(cfg.get("myhostname"), uid, id));
      if (st) st = (*d)->append(req->content);
      if (st) st = (*d)->finish();
      if (st) {
        log::info("{}: uid={} from=<{}>", id, uid, str::printable(req->sender));
        log::info("{}: from=<{}>, size={}, nrcpt={} (queue active)", id, str::printable(req->sender),
                  req->content.size(), req->recipients.size());
        std::string err = co_await smtp::async_commit(committer_, std::move(*d), asio::use_awaitable);
        if (!err.empty()) st = Error::temp(err);
      }
      if (st) {
        answer = "OK " + id + "\n";
      } else {
        log::error("{}: local submission failed: {}", id, st.error().detail);
        answer = "ERR temp queue file write error\n";
      }
    }
  }
  co_await asio::async_write(sock, asio::buffer(answer), asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace tern::roles
