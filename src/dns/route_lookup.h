// lookup_route: the addresses to try for a next hop (next_hop.h), by MX
// lookup, by the host's address records ([host]) or at once (a literal).
// The MX answer is planned (route.h: order, null MX, names that are not
// hosts), then every planned host's A and AAAA are asked for at the same
// time, and the route is assembled. Never blocks: `done` runs on the
// resolver's strand. `port` is the transport's default, used when the next
// hop names none.
#pragma once

#include <functional>
#include <memory>

#include "dns/next_hop.h"
#include "dns/resolver.h"
#include "dns/route.h"

namespace tern::dns {

using RouteHandler = std::function<void(RouteResult)>;

void lookup_route(std::shared_ptr<Resolver> resolver, const NextHop& hop, const RouteSettings& settings,
                  RouteHandler done, uint16_t port = kSmtpPort);

}  // namespace tern::dns
