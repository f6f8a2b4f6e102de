// The module's factory: the resolver and the route settings from main.cf
// (dns_resolver, dns_query_timeout, smtp_address_preference,
// smtp_mx_address_limit, smtp_mx_session_limit). A bad dns_resolver is a
// configuration error naming the file, the line and the form expected.
#pragma once

#include <asio/any_io_executor.hpp>
#include <memory>
#include <string_view>

#include "base/result.h"
#include "config/config.h"
#include "dns/resolver.h"
#include "dns/route.h"

namespace tern::dns {

// dns_resolver's value ("127.0.0.1:5353", "[::1]:53", "192.0.2.53") as
// libunbound's forwarder form ("127.0.0.1@5353"); "" stays "". Pure.
Result<std::string> parse_resolver_address(std::string_view value);

Result<Resolver::Options> resolver_options(const config::Config& cfg);
RouteSettings route_settings(const config::Config& cfg);
Result<std::shared_ptr<Resolver>> make_resolver(asio::any_io_executor ex, const config::Config& cfg);

}  // namespace tern::dns
