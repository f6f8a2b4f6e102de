// Asio completion-token forms of the lookups, for callers that are
// coroutines (the SMTP session, the SMTP client):
//
//   PeerName p = co_await dns::async_lookup_peer_name(resolver, addr, asio::use_awaitable);
//   RouteResult r = co_await dns::async_lookup_route(resolver, hop, settings, asio::use_awaitable);
//
// The completion runs on the handler's associated executor (the coroutine's),
// not on the resolver's strand. Header-only templates over the callback API.
#pragma once

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/dispatch.hpp>
#include <memory>
#include <utility>

#include "dns/peer_name.h"
#include "dns/route_lookup.h"

namespace tern::dns {

namespace detail {
// Callback-API handlers are std::function (copyable); Asio's handlers may be
// move-only, so they travel in a shared_ptr and finish on their executor.
template <class Value, class Handler>
auto bridge(const std::shared_ptr<Resolver>& r, Handler&& handler) {
  auto ex = asio::get_associated_executor(handler, r->strand());
  auto h = std::make_shared<std::decay_t<Handler>>(std::forward<Handler>(handler));
  return [h, ex](Value v) mutable { asio::dispatch(ex, [h, v = std::move(v)]() mutable { (*h)(std::move(v)); }); };
}
}  // namespace detail

template <class Token>
auto async_lookup_peer_name(std::shared_ptr<Resolver> resolver, IpAddress client, Token&& token) {
  return asio::async_initiate<Token, void(PeerName)>(
      [](auto handler, std::shared_ptr<Resolver> r, IpAddress a) {
        lookup_peer_name(r, a, detail::bridge<PeerName>(r, std::move(handler)));
      },
      token, std::move(resolver), client);
}

template <class Token>
auto async_lookup_route(std::shared_ptr<Resolver> resolver, NextHop hop, RouteSettings settings, Token&& token) {
  return asio::async_initiate<Token, void(RouteResult)>(
      [](auto handler, std::shared_ptr<Resolver> r, NextHop h, RouteSettings s) {
        lookup_route(r, h, s, detail::bridge<RouteResult>(r, std::move(handler)));
      },
      token, std::move(resolver), std::move(hop), settings);
}

}  // namespace tern::dns
