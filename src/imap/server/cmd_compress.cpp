// COMPRESS DEFLATE (RFC 4978): after the tagged OK, both directions of the
// connection are raw DEFLATE; the session swaps its stream (plain or TLS)
// for an io::DeflateStream over it and goes on. Offered after login, as
// Dovecot does, since the command is valid only in the authenticated and
// selected states. Bytes the client sent after the command, before it saw
// the OK, are already compressed: they become the new stream's first input.
#include "base/log.h"
#include "imap/server/session.h"
#include "io/deflate_stream.h"

namespace tern::imap {

asio::awaitable<void> Session::cmd_compress(const Call& k) {
  if (k.c.args.size() != 1 || k.c.args[0].keyword() != "DEFLATE") {
    bad(k, "Unknown compression algorithm; COMPRESS DEFLATE is offered.");
    co_return;
  }
  if (compressed_) {
    no(k, "[COMPRESSIONACTIVE] DEFLATE is already active.");
    co_return;
  }
  ok(k, "DEFLATE active.");
  co_await flush();
  if (closed_) co_return;
  std::string pending = reader_.take_pending();
  auto z = io::DeflateStream::wrap(stream_, pending);
  if (!z) {
    log::error("imap: {}: cannot start compression: out of memory", client_name_);
    stream_->close();
    closed_ = true;
    co_return;
  }
  stream_ = std::move(z);
  watchdog_->watch(*stream_);
  compressed_ = true;
  log::info("imap: {}: user={}: COMPRESS DEFLATE on", client_name_, user_);
}

}  // namespace tern::imap
