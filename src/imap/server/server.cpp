// Accept loops of the IMAP listeners (see server.h).
#include "imap/server/server.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include "io/accept_loop.h"
#include "io/tcp_stream.h"
#include "imap/server/session.h"

namespace tern::imap {

ImapServer::ImapServer(asio::io_context& ctx, sasl::AuthFailures& failures, policy::RecentLogins* logins)
    : ctx_(ctx), failures_(failures), logins_(logins) {}

ImapServer::~ImapServer() = default;

void ImapServer::set_services(std::shared_ptr<const Services> s) {
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
    auto session = std::make_shared<Session>(*this, std::make_unique<io::TcpStream>(std::move(sock)), std::move(peer),
                                             implicit_tls);
    asio::co_spawn(ctx_, session->run(), asio::detached);
  };
  asio::co_spawn(ctx_, io::accept_loop(*acceptors_.back(), [this] { return shutting_down_; }, start, "imap: "),
                 asio::detached);
}

void ImapServer::shutdown() {
  shutting_down_ = true;
  for (auto& a : acceptors_) {
    asio::error_code ec;
    a->close(ec);
  }
  for (auto* s : sessions_) s->interrupt();
}

}  // namespace tern::imap
