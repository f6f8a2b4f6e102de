// SubmitListener: the daemon's end of local submission. It accepts
// connections on queue_directory/public/submit (mode 0666 inside a 0711
// directory), reads one request per connection (queue/submission.h),
// writes it through the same Draft + Committer as SMTP, and answers with
// the queue ID once the message is durable.
//
// SECURITY: any local user may connect. The user is identified by
// SO_PEERCRED; the request is bounded by message_size_limit and decoded by
// a fuzzed parser; nothing in it is executed.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <memory>
#include <string>

#include "base/result.h"
#include "queue/spool.h"
#include "queue/writer.h"
#include "smtp/server/server.h"

namespace tern::roles {

class SubmitListener {
 public:
  SubmitListener(asio::io_context& ctx, const queue::Spool& spool, queue::Committer& committer,
                 smtp::SmtpServer& services_source);
  Status start();
  void stop();

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> handle(asio::local::stream_protocol::socket sock);
  asio::io_context& ctx_;
  const queue::Spool& spool_;
  queue::Committer& committer_;
  smtp::SmtpServer& source_;
  std::unique_ptr<asio::local::stream_protocol::acceptor> acceptor_;
};

// The Received: header for a locally submitted message.
std::string local_received_header(const std::string& hostname, unsigned uid, const std::string& id);

}  // namespace tern::roles
