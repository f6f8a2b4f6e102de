// One batch's delivery by SMTP: the route (dns/, MX or the relayhost's
// address records), a connection to the route's addresses in order within
// smtp_connect_timeout, and SMTP client sessions (smtp/client) until every
// recipient has an answer or smtp_mx_session_limit sessions were tried, as
// Postfix's smtp(8) does: a host-level failure (refused connection, 4xx
// greeting, lost session) moves the still-deferred recipients to the next
// host; a recipient's own reply is final for this attempt. At TLS level
// may, a failed handshake is tried once more in plaintext.
//
// A cached connection handed in is tried first (no route lookup then); one
// that turns out closed while it waited (Session::stale) is dropped and
// the batch goes on with a new connection, without counting it as the
// host's failure. The connection left usable at the end is handed back
// for the next batch (destinations.h).
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "delivery/batch_agent.h"
#include "dns/resolver.h"
#include "dns/route.h"
#include "io/clock.h"
#include "maps/table.h"
#include "remote/transport.h"
#include "smtp/client/client.h"
#include "tls/client_context.h"

namespace tern::remote {

// What the SMTP deliveries of one configuration share; read-only once made.
struct SmtpSetup {
  dns::RouteSettings route;
  std::shared_ptr<tls::ClientContext> tls;
  smtp::client::Settings settings;
  std::vector<std::shared_ptr<maps::Table>> passwords;  // smtp_sasl_password_maps (when enabled)
  std::chrono::seconds hold{300};                       // a failing destination's suspension
  int destination_limit = 20;                            // smtp_destination_concurrency_limit
  int process_limit = 100;                               // default_process_limit
  bool cache = true;                                     // smtp_connection_cache_on_demand
  std::chrono::seconds cache_time{2}, reuse_time{300};   // smtp_connection_{cache,reuse}_time_limit
  int reuse_count = 0;                                   // smtp_connection_reuse_count_limit (0: none)
  // Errors name the parameter and main.cf:LINE.
  static Result<std::shared_ptr<const SmtpSetup>> create(const config::Config& cfg);
};

// One batch in flight: its inputs, and the outcomes being filled.
struct Batch {
  const queue::Envelope& env;
  std::string_view content;
  std::vector<delivery::BatchItem> items;
  Transport transport;
  std::string key;  // the destination: transport.key()
  delivery::BatchAgent::Done done;
  std::vector<delivery::BatchOutcome> out;
  bool host_failed = false;  // every host tried failed as a host: suspend the destination
  std::chrono::steady_clock::time_point submitted, started;
};

using SessionPtr = std::unique_ptr<smtp::client::Session>;

// Delivers b; `session` is a cached connection to try first (may be null)
// and, afterwards, the connection fit for another transaction (or null).
asio::awaitable<void> deliver_by_smtp(const SmtpSetup& setup, std::shared_ptr<dns::Resolver> resolver,
                                      io::Clock& clock, Batch& b, SessionPtr& session);

}  // namespace tern::remote
