// SmtpServer::peer_name: the client's confirmed name for a new session
// (smtpd_peername_lookup), bounded as a whole by dns_query_timeout (the
// reverse and the forward lookups each have that limit in the resolver; a
// session waits for no more than one of them). Postfix's warning for a name
// that does not resolve back is logged here.
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <optional>

#include "base/log.h"
#include "dns/peer_name.h"
#include "smtp/server/server.h"

namespace tern::smtp {

namespace {

// The lookup or the timer, whichever ends first, completes the handler on
// the session's executor; the other finds it gone.
template <class Handler>
struct Race : std::enable_shared_from_this<Race<Handler>> {
  Race(asio::any_io_executor ex, Handler h) : ex(ex), handler(std::move(h)), timer(ex) {}
  void finish(dns::PeerName p) {
    if (!handler) return;
    auto h = std::move(*handler);
    handler.reset();
    timer.cancel();
    h(std::move(p));
  }
  asio::any_io_executor ex;
  std::optional<Handler> handler;
  asio::steady_timer timer;
};

// Not a coroutine itself (coroutine parameters that own a shared_ptr have
// been destroyed twice by GCC 12): the initiation keeps its own copies.
template <class Token>
auto async_bounded_lookup(std::shared_ptr<dns::Resolver> resolver, dns::IpAddress addr, asio::any_io_executor ex,
                          Token&& token) {
  return asio::async_initiate<Token, void(dns::PeerName)>(
      [](auto handler, std::shared_ptr<dns::Resolver> resolver, dns::IpAddress addr, asio::any_io_executor ex) {
        auto race = std::make_shared<Race<decltype(handler)>>(ex, std::move(handler));
        race->timer.expires_after(resolver->timeout());
        race->timer.async_wait([race, addr](const asio::error_code& ec) {
          if (ec) return;
          dns::PeerName p;
          p.address = addr;
          p.status = dns::PeerName::Status::temporary;
          p.detail = "client name lookup timed out";
          race->finish(std::move(p));
        });
        dns::lookup_peer_name(resolver, addr, [race](dns::PeerName p) {
          asio::post(race->ex, [race, p = std::move(p)]() mutable { race->finish(std::move(p)); });
        });
      },
      token, std::move(resolver), addr, std::move(ex));
}

}  // namespace

void SmtpServer::set_resolver(std::shared_ptr<dns::Resolver> r) { resolver_ = std::move(r); }

asio::awaitable<std::string> SmtpServer::peer_name(const std::string& ip) {
  auto addr = dns::parse_ip(ip);
  if (!resolver_ || !addr) co_return "unknown";
  auto ex = co_await asio::this_coro::executor;
  dns::PeerName p = co_await async_bounded_lookup(resolver_, *addr, ex, asio::use_awaitable);
  using S = dns::PeerName::Status;
  if (p.status == S::mismatch)
    log::warn("hostname {} does not resolve to address {}", p.ptr_name, addr->text());
  else if (p.status == S::temporary)
    log::warn("{}: hostname lookup failed: {}; the client is unknown", addr->text(), p.detail);
  co_return p.name();
}

}  // namespace tern::smtp
