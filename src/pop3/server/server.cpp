// Accept loops of the POP3 listeners (see server.h).
#include "pop3/server/server.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include "io/accept_loop.h"
#include "io/tcp_stream.h"
#include "pop3/server/session.h"

namespace tern::pop3 {

Pop3Server::Pop3Server(asio::io_context& ctx, sasl::AuthFailures& failures, policy::RecentLogins* logins)
    : ctx_(ctx), failures_(failures), logins_(logins) {}

Pop3Server::~Pop3Server() = default;

void Pop3Server::set_services(std::shared_ptr<const Services> s) {
  std::lock_guard lock(services_mu_);
  services_ = std::move(s);
}

std::shared_ptr<const Services> Pop3Server::services() const {
  std::lock_guard lock(services_mu_);
  return services_;
}

void Pop3Server::listen(asio::ip::tcp::acceptor acceptor, bool implicit_tls) {
  acceptors_.push_back(std::make_unique<asio::ip::tcp::acceptor>(std::move(acceptor)));
  auto start = [this, implicit_tls](asio::ip::tcp::socket sock) {
    io::Peer peer = io::peer_of(sock);
    auto session = std::make_shared<Session>(*this, std::make_unique<io::TcpStream>(std::move(sock)), std::move(peer),
                                             implicit_tls);
    asio::co_spawn(ctx_, session->run(), asio::detached);
  };
  asio::co_spawn(ctx_, io::accept_loop(*acceptors_.back(), [this] { return shutting_down_; }, start, "pop3: "),
                 asio::detached);
}

void Pop3Server::shutdown() {
  shutting_down_ = true;
  for (auto& a : acceptors_) {
    asio::error_code ec;
    a->close(ec);
  }
  for (auto* s : sessions_) s->interrupt();
}

}  // namespace tern::pop3
