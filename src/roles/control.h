// ControlListener: the daemon's control socket, queue_directory/public/control
// (mode 0600, owned by the daemon's user). `tern queue flush`, `release`,
// runq and `sendmail -q` send one line, "flush\n", and the daemon answers
// "OK flushed\n" or "ERR perm <reason>\n" (the answer format of the
// submission socket, queue/submission.h). This replaces signalling the pid
// read from queue_directory/pid, a file mail_owner can write: a root tool
// that trusted it could be made to signal any process.
//
// SECURITY: the peer is identified by SO_PEERCRED, never by what it sends;
// only root and the daemon's own user (mail_owner) may ask. A request is at
// most 64 bytes, read under a 10 s deadline, and is one of a fixed set of
// words: nothing in it is parsed further or executed.
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

// What the daemon does for one request: the answer line, and whether to
// flush the queue. Pure, for tests.
struct ControlAnswer {
  std::string text;
  bool flush = false;
};
ControlAnswer control_answer(std::string_view request, uid_t peer_uid, uid_t daemon_uid);

class ControlListener {
 public:
  // flush runs on ctx's thread: "make every queued message due now".
  ControlListener(asio::io_context& ctx, std::string queue_directory, std::function<void()> flush);
  Status start();
  void stop() { listener_.stop(); }

 private:
  asio::awaitable<void> handle(asio::local::stream_protocol::socket sock);
  asio::io_context& ctx_;
  std::string path_;
  std::function<void()> flush_;
  UnixListener listener_;
};

}  // namespace tern::roles
