// Implementation of the control socket (see control.h).
#include "roles/control.h"

#include <sys/socket.h>
#include <unistd.h>

#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <fmt/format.h>

#include "base/fs.h"
#include "base/log.h"
#include "base/strings.h"
#include "queue/listing.h"
#include "queue/spool.h"

namespace tern::roles {

namespace {

constexpr size_t kMaxRequestBytes = 300;              // "flush site " and a domain of up to 255 bytes
constexpr auto kRequestDeadline = std::chrono::seconds(10);  // a silent peer holds nothing longer

// An answer; what to do is filled in by the caller.
ControlAnswer answer(std::string text) {
  ControlAnswer a;
  a.text = std::move(text);
  return a;
}

}  // namespace

std::string control_socket_path(const std::string& queue_directory) {
  return fs::join(queue_directory, "public/control");
}

ControlAnswer control_answer(std::string_view request, uid_t peer_uid, uid_t daemon_uid) {
  if (peer_uid != 0 && peer_uid != daemon_uid)
    return answer("ERR perm permission denied: only root and the mail system's owner may control it\n");
  if (!request.empty() && request.back() == '\n') request.remove_suffix(1);
  if (request == "flush") {
    ControlAnswer a = answer("OK flushed\n");
    a.flush = true;
    return a;
  }
  constexpr std::string_view kSite = "flush site ", kRequeue = "requeue ";
  if (request.substr(0, kSite.size()) == kSite) {
    std::string_view d = request.substr(kSite.size());
    if (!queue::valid_site(d)) return answer("ERR perm not a domain name\n");
    ControlAnswer a = answer("OK flushed\n");
    a.site = str::lower(d);
    return a;
  }
  if (request.substr(0, kRequeue.size()) == kRequeue) {
    std::string_view id = request.substr(kRequeue.size());
    if (id != "ALL" && !queue::Spool::valid_id(id)) return answer("ERR perm not a queue ID\n");
    ControlAnswer a = answer("OK requeued\n");
    a.requeue = std::string(id);
    return a;
  }
  return answer("ERR perm unknown request\n");
}

ControlListener::ControlListener(asio::io_context& ctx, std::string queue_directory,
                                 std::function<void(const ControlAnswer&)> act)
    : ctx_(ctx), path_(control_socket_path(queue_directory)), act_(std::move(act)), listener_(ctx) {}

Status ControlListener::start() {
  return listener_.start(path_, 0600, 16, [this](asio::local::stream_protocol::socket s) { return handle(std::move(s)); });
}

asio::awaitable<void> ControlListener::handle(asio::local::stream_protocol::socket sock) {
  struct ucred cred {};
  socklen_t len = sizeof cred;
  if (::getsockopt(sock.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) co_return;
  asio::steady_timer deadline(ctx_, kRequestDeadline);
  deadline.async_wait([&sock](const asio::error_code& ec) {
    asio::error_code ignored;
    if (!ec) sock.close(ignored);
  });
  std::string request;
  char buf[kMaxRequestBytes];
  asio::error_code ec;
  while (request.size() <= kMaxRequestBytes && request.find('\n') == std::string::npos) {
    size_t n = co_await sock.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    request.append(buf, n);
  }
  deadline.cancel();
  if (!sock.is_open()) co_return;
  ControlAnswer a = request.size() > kMaxRequestBytes ? answer("ERR perm request too long\n")
                                                      : control_answer(request, cred.uid, ::geteuid());
  if (a.acts()) {
    if (a.flush) log::info("queue flush requested by uid {}", cred.uid);
    if (!a.site.empty()) log::info("queue flush for {} requested by uid {}", a.site, cred.uid);
    if (!a.requeue.empty()) log::info("requeue of {} requested by uid {}", a.requeue, cred.uid);
    act_(a);
  } else {
    log::warn("control socket: uid {}: {}", cred.uid, str::printable(str::trim(a.text)));
  }
  co_await asio::async_write(sock, asio::buffer(a.text), asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace tern::roles
