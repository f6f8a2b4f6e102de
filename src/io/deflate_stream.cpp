// Implementation of the DEFLATE-compressed stream (see deflate_stream.h).
#include "io/deflate_stream.h"

#include <zlib.h>

#include <cstring>
#include <system_error>

namespace tern::io {

namespace {
constexpr size_t kBufBytes = 8192;
constexpr int kWriteWindowBits = 12;  // 4 KiB
constexpr int kWriteMemLevel = 6;
}  // namespace

struct DeflateStream::Zlib {
  z_stream in{};   // inflating what the peer sends
  z_stream out{};  // deflating what we send
  bool in_ready = false, out_ready = false;
  bool maybe_more = false;  // the last inflate filled the caller's buffer: output may be pending
  bool ended = false;       // the peer ended its DEFLATE stream
  char in_buf[kBufBytes];
  char out_buf[kBufBytes];
  std::string leftover;  // bytes read before the switch

  ~Zlib() {
    if (in_ready) inflateEnd(&in);
    if (out_ready) deflateEnd(&out);
  }
};

std::unique_ptr<DeflateStream> DeflateStream::wrap(std::unique_ptr<Stream>& inner, std::string_view already_read) {
  auto z = std::make_unique<Zlib>();
  if (inflateInit2(&z->in, -MAX_WBITS) != Z_OK) return nullptr;
  z->in_ready = true;
  if (deflateInit2(&z->out, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -kWriteWindowBits, kWriteMemLevel,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    return nullptr;
  z->out_ready = true;
  z->leftover.assign(already_read);
  z->in.next_in = reinterpret_cast<Bytef*>(z->leftover.data());
  z->in.avail_in = static_cast<uInt>(z->leftover.size());
  return std::unique_ptr<DeflateStream>(new DeflateStream(std::move(inner), std::move(z)));
}

DeflateStream::DeflateStream(std::unique_ptr<Stream> inner, std::unique_ptr<Zlib> z)
    : inner_(std::move(inner)), z_(std::move(z)) {}

DeflateStream::~DeflateStream() = default;

asio::any_io_executor DeflateStream::get_executor() { return inner_->get_executor(); }

asio::awaitable<size_t> DeflateStream::read_some(asio::mutable_buffer buf, asio::error_code& ec) {
  ec = {};
  if (buf.size() == 0) co_return 0;
  Zlib& z = *z_;
  for (;;) {
    if (z.ended) {
      ec = asio::error::eof;
      co_return 0;
    }
    if (z.in.avail_in == 0 && !z.maybe_more) {
      size_t n = co_await inner_->read_some(asio::buffer(z.in_buf, sizeof z.in_buf), ec);
      if (ec) co_return 0;
      z.leftover.clear();
      z.in.next_in = reinterpret_cast<Bytef*>(z.in_buf);
      z.in.avail_in = static_cast<uInt>(n);
    }
    z.in.next_out = static_cast<Bytef*>(buf.data());
    z.in.avail_out = static_cast<uInt>(std::min<size_t>(buf.size(), 1u << 30));
    const uInt room = z.in.avail_out;
    int r = inflate(&z.in, Z_SYNC_FLUSH);
    size_t produced = room - z.in.avail_out;
    z.maybe_more = z.in.avail_out == 0;
    if (r == Z_STREAM_END) z.ended = true;
    else if (r != Z_OK && r != Z_BUF_ERROR) {
      ec = std::make_error_code(std::errc::bad_message);
      co_return 0;
    }
    if (produced > 0) co_return produced;
    if (r == Z_BUF_ERROR) z.maybe_more = false;  // no progress possible without more input
  }
}

asio::awaitable<void> DeflateStream::write(asio::const_buffer buf, asio::error_code& ec) {
  ec = {};
  Zlib& z = *z_;
  z.out.next_in = reinterpret_cast<Bytef*>(const_cast<void*>(buf.data()));
  z.out.avail_in = static_cast<uInt>(buf.size());
  do {
    z.out.next_out = reinterpret_cast<Bytef*>(z.out_buf);
    z.out.avail_out = sizeof z.out_buf;
    int r = deflate(&z.out, Z_SYNC_FLUSH);
    if (r != Z_OK && r != Z_BUF_ERROR) {
      ec = std::make_error_code(std::errc::bad_message);
      co_return;
    }
    size_t n = sizeof z.out_buf - z.out.avail_out;
    if (n > 0) {
      co_await inner_->write(asio::buffer(z.out_buf, n), ec);
      if (ec) co_return;
    }
  } while (z.out.avail_out == 0 || z.out.avail_in > 0);
}

size_t DeflateStream::available() { return z_->in.avail_in > 0 ? z_->in.avail_in : inner_->available(); }

void DeflateStream::cancel() { inner_->cancel(); }

void DeflateStream::close() { inner_->close(); }

}  // namespace tern::io
