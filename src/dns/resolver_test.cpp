// The Resolver under Asio without a DNS server that answers: a UDP socket
// that never replies makes every query hit its time limit, which must come
// back as "try again" on the executor (never inline, never a hang), for a
// plain query, a route and a peer name; the coroutine forms of await.h;
// a literal route needs no DNS at all. (Answers from a real server:
// tests/e2e/test_dns.py.)
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>

#include "dns/await.h"
#include "dns/resolver.h"

using namespace tern::dns;
using namespace std::chrono_literals;

namespace {

struct Silent {
  asio::io_context io;
  asio::ip::udp::socket sock{io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  std::shared_ptr<Resolver> resolver() {
    Resolver::Options o;
    o.forwarder = "127.0.0.1@" + std::to_string(sock.local_endpoint().port());
    o.timeout = 300ms;
    auto r = Resolver::create(io.get_executor(), o);
    EXPECT_TRUE(r.ok());
    return *r;
  }
};

}  // namespace

TEST(Resolver, QueryTimesOutAsTryAgain) {
  Silent s;
  auto r = s.resolver();
  bool called = false;
  auto start = std::chrono::steady_clock::now();
  r->query("example.com", RrType::mx, [&](Answer a) {
    called = true;
    EXPECT_EQ(a.status, Answer::Status::temporary);
    EXPECT_NE(a.problem.find("timed out"), std::string::npos) << a.problem;
  });
  EXPECT_FALSE(called);  // never inline
  r.reset();             // the pending query keeps it alive
  s.io.run();            // returns: nothing left waiting
  EXPECT_TRUE(called);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
}

TEST(Resolver, RouteAndPeerNameTimeOutAsTemporary) {
  Silent s;
  auto r = s.resolver();
  std::optional<RouteResult> route;
  std::optional<PeerName> peer;
  lookup_route(r, *parse_next_hop("example.com"), {}, [&](RouteResult x) { route = std::move(x); });
  lookup_peer_name(r, *parse_ip("192.0.2.7"), [&](PeerName p) { peer = std::move(p); });
  r.reset();
  s.io.run();
  ASSERT_TRUE(route && route->error);
  EXPECT_EQ(route->error->kind, RouteError::Kind::temporary);
  EXPECT_EQ(route->error->dsn, "4.4.3");
  ASSERT_TRUE(peer);
  EXPECT_EQ(peer->status, PeerName::Status::temporary);
  EXPECT_EQ(peer->text(), "unknown[192.0.2.7]");
}

TEST(Resolver, CoroutineForms) {
  Silent s;
  auto r = s.resolver();
  std::optional<RouteResult> literal;
  std::optional<PeerName> peer;
  asio::co_spawn(
      s.io,
      [&]() -> asio::awaitable<void> {
        literal = co_await async_lookup_route(r, *parse_next_hop("[192.0.2.1]:2525"), RouteSettings{},
                                              asio::use_awaitable);
        peer = co_await async_lookup_peer_name(r, *parse_ip("::ffff:192.0.2.9"), asio::use_awaitable);
        r.reset();
      },
      asio::detached);
  s.io.run();
  ASSERT_TRUE(literal && literal->ok());
  ASSERT_EQ(literal->route.entries.size(), 1u);
  EXPECT_EQ(literal->route.entries[0].text(), "192.0.2.1[192.0.2.1]:2525");
  ASSERT_TRUE(peer);
  EXPECT_EQ(peer->text(), "unknown[192.0.2.9]");  // the mapped address shown as IPv4
}
