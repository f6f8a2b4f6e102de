// ControlListener: the daemon's control socket, queue_directory/public/control
// (mode 0600, owned by the daemon's user). `tern queue flush`, `release`,
// runq, `postqueue -f` and `sendmail -q` send one line, "flush\n";
// `postqueue -s DOMAIN` sends "flush site DOMAIN\n" (only the deferred
// messages with a pending recipient in DOMAIN become due); `postsuper -r`
// sends "requeue ID\n" or "requeue ALL\n" (due now, back-off reset). The
// daemon answers "OK ...\n" or "ERR perm <reason>\n" (the answer format of the
// submission socket, queue/submission.h). This replaces signalling the pid
// read from queue_directory/pid, a file mail_owner can write: a root tool
// that trusted it could be made to signal any process.
//
// SECURITY: the peer is identified by SO_PEERCRED, never by what it sends;
// only root and the daemon's own user (mail_owner) may ask. A request is at
// most 300 bytes, read under a 10 s deadline, and is one of a fixed set of
// words; its one argument must be a queue ID or a domain name made of
// letters, digits, '.', '-' (or an address literal in [ ]): nothing in it
// is parsed further or executed.
#pragma once

#include <sys/types.h>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <functional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "roles/unix_listener.h"

namespace tern::roles {

// queue_directory/public/control.
std::string control_socket_path(const std::string& queue_directory);

// What the daemon does for one request: the answer line, and what to do
// (at most one of the three). Pure, for tests.
struct ControlAnswer {
  std::string text;
  bool flush = false;   // every message due now
  std::string site;     // flush only this domain (lower case)
  std::string requeue;  // a queue ID, or "ALL"
  bool acts() const { return flush || !site.empty() || !requeue.empty(); }
};
ControlAnswer control_answer(std::string_view request, uid_t peer_uid, uid_t daemon_uid);

class ControlListener {
 public:
  // act runs on ctx's thread for every accepted request (a.acts()).
  ControlListener(asio::io_context& ctx, std::string queue_directory, std::function<void(const ControlAnswer&)> act);
  Status start();
  void stop() { listener_.stop(); }

 private:
  asio::awaitable<void> handle(asio::local::stream_protocol::socket sock);
  asio::io_context& ctx_;
  std::string path_;
  std::function<void(const ControlAnswer&)> act_;
  UnixListener listener_;
};

}  // namespace tern::roles
