// Accept loops and connection accounting (see server.h).
#include "smtp/server/server.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include "io/accept_loop.h"
#include "smtp/server/session.h"

namespace tern::smtp {

SmtpServer::SmtpServer(asio::io_context& ctx, const queue::Spool& spool, queue::Committer& committer)
    : ctx_(ctx), spool_(spool), committer_(committer) {}

SmtpServer::~SmtpServer() = default;

void SmtpServer::set_services(std::shared_ptr<const Services> s) {
  std::lock_guard lock(services_mu_);
  services_ = std::move(s);
}

std::shared_ptr<const Services> SmtpServer::services() const {
  std::lock_guard lock(services_mu_);
  return services_;
}

void SmtpServer::listen(asio::ip::tcp::acceptor acceptor, ListenerKind kind) {
  acceptors_.push_back(std::make_unique<asio::ip::tcp::acceptor>(std::move(acceptor)));
  auto start = [this, kind](asio::ip::tcp::socket sock) {
    io::Peer peer = io::peer_of(sock);
    auto session = std::make_shared<Session>(*this, std::make_unique<io::TcpStream>(std::move(sock)), std::move(peer), kind);
    asio::co_spawn(ctx_, session->run(), asio::detached);
  };
  asio::co_spawn(ctx_, io::accept_loop(*acceptors_.back(), [this] { return shutting_down_; }, start, ""),
                 asio::detached);
}

bool SmtpServer::admit(const std::string& ip, std::string& why) {
  auto s = services();
  long long per_ip = s->per_client_connections;
  long long total = s->max_connections;
  if (total > 0 && total_ >= total) {
    why = "too many connections";
    return false;
  }
  int& n = per_ip_[ip];
  if (per_ip > 0 && n >= per_ip && !s->policy->in_mynetworks(ip)) {
    if (n == 0) per_ip_.erase(ip);
    why = "too many connections from " + ip;
    return false;
  }
  ++n;
  ++total_;
  return true;
}

void SmtpServer::release(const std::string& ip) {
  auto it = per_ip_.find(ip);
  if (it != per_ip_.end() && --it->second <= 0) per_ip_.erase(it);
  --total_;
}

void SmtpServer::shutdown() {
  shutting_down_ = true;
  for (auto& a : acceptors_) {
    asio::error_code ec;
    a->close(ec);
  }
  for (auto* s : sessions_) s->interrupt();
}

}  // namespace tern::smtp
