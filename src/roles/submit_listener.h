// SubmitListener: the daemon's end of local submission. It accepts
// connections on queue_directory/public/submit (mode 0666 inside a 0711
// directory), reads one request per connection (queue/submission.h),
// writes it through the same Draft + Committer as SMTP, and answers with
// the queue ID once the message is durable.
//
// SECURITY: any local user may connect. The user is identified by
// SO_PEERCRED; the request is bounded by message_size_limit and decoded by
// a fuzzed parser; nothing in it is executed. A connection must deliver its
// whole request within local_submit_timeout (one deadline, not reset per
// byte), and at most local_submit_connection_limit connections are served
// at once; beyond that a new one is answered "ERR temp" and closed, so a
// local user cannot hold the daemon's memory or descriptors forever.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "config/config.h"
#include "queue/spool.h"
#include "queue/writer.h"
#include "roles/unix_listener.h"
#include "smtp/server/server.h"

namespace tern::roles {

class SubmitListener {
 public:
  SubmitListener(asio::io_context& ctx, const queue::Spool& spool, queue::Committer& committer,
                 smtp::SmtpServer& services_source);
  Status start();
  void stop();

 private:
  asio::awaitable<void> on_connection(asio::local::stream_protocol::socket sock);
  asio::awaitable<void> handle(asio::local::stream_protocol::socket sock);
  asio::awaitable<void> refuse(asio::local::stream_protocol::socket sock);
  const queue::Spool& spool_;
  queue::Committer& committer_;
  smtp::SmtpServer& source_;
  UnixListener listener_;
  size_t active_ = 0;  // connections being served (all on the one io_context thread)
};

// The Received: header for a locally submitted message.
std::string local_received_header(const std::string& hostname, unsigned uid, const std::string& id);

// "" if the header section of locally submitted content is within
// header_size_limit and header_line_limit, else the reason to refuse it.
// Used by the listener and by sendmail when it writes the queue itself.
std::string local_header_limit_error(const config::Config& cfg, std::string_view content);

}  // namespace tern::roles
