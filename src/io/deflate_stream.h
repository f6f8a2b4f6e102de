// DeflateStream: a Stream whose bytes travel compressed with raw DEFLATE
// (RFC 1951) both ways, for IMAP's COMPRESS=DEFLATE (RFC 4978). A session
// that agreed to compress hands its stream (plain or TLS) over and reads and
// writes through this one; zlib does the compressing. Each write is flushed
// with Z_SYNC_FLUSH, so the peer can decode every reply as soon as it
// arrives, as the RFC requires.
//
// Memory: the reading side keeps zlib's 32 KiB window (a client may use the
// largest); the writing side uses a 4 KiB window and memLevel 6, about
// 48 KiB, since mail text gains little from a larger one (RFC 4978 lets each
// side choose its own). With the two 8 KiB buffers, a compressing session
// costs about 100 KiB more than a plain one.
//
// SECURITY: compressed input is untrusted; zlib's inflate checks it, and a
// corrupt stream ends the connection (the read fails with bad_message). One
// read never produces more than the caller's buffer, so a small input that
// inflates hugely costs no memory, only reads.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "io/stream.h"

namespace tern::io {

class DeflateStream final : public Stream {
 public:
  // Takes `inner` over. `already_read`: bytes read from `inner` before the
  // switch that belong to the compressed stream. Null when zlib cannot be
  // set up (out of memory); `inner` is then left as it was.
  static std::unique_ptr<DeflateStream> wrap(std::unique_ptr<Stream>& inner, std::string_view already_read = {});
  ~DeflateStream() override;

  asio::any_io_executor get_executor() override;
  asio::awaitable<size_t> read_some(asio::mutable_buffer buf, asio::error_code& ec) override;
  asio::awaitable<void> write(asio::const_buffer buf, asio::error_code& ec) override;
  size_t available() override;
  void cancel() override;
  void close() override;

 private:
  struct Zlib;
  DeflateStream(std::unique_ptr<Stream> inner, std::unique_ptr<Zlib> z);
  std::unique_ptr<Stream> inner_;
  std::unique_ptr<Zlib> z_;
};

}  // namespace tern::io
