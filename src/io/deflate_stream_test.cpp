// Tests of the DEFLATE stream over a MemoryStream, with zlib itself as the
// peer: what the peer compresses reads back exact (across segment borders,
// with bytes read before the switch, into a small buffer), what we write
// inflates exact and is flushed per write, and a corrupt stream fails the
// read.
#include "io/deflate_stream.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include "io/fake_clock.h"
#include "io/deflate_test_util.h"
#include "io/memory_stream.h"

namespace tern::io {
namespace {

using testing::raw_deflate;
using testing::raw_inflate;

struct Harness {
  asio::io_context ctx;
  FakeClock clock;
  std::shared_ptr<MemoryStream::Transcript> t = std::make_shared<MemoryStream::Transcript>();
  std::unique_ptr<DeflateStream> s;
  Harness(std::deque<Segment> in, std::string_view already = {}) {
    std::unique_ptr<Stream> plain = std::make_unique<MemoryStream>(ctx.get_executor(), clock, std::move(in), t);
    s = DeflateStream::wrap(plain, already);
    EXPECT_TRUE(s);
    EXPECT_FALSE(plain);
  }
  // Reads until end of stream or error, `chunk` bytes at a time.
  std::string read_all(size_t chunk, asio::error_code& last) {
    std::string got;
    asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<void> {
          std::string buf(chunk, '\0');
          for (;;) {
            size_t n = co_await s->read_some(asio::buffer(buf), last);
            if (last) co_return;
            EXPECT_LE(n, chunk);
            got.append(buf, 0, n);
          }
        },
        asio::detached);
    ctx.run();
    ctx.restart();
    return got;
  }
  void write(std::string_view text, asio::error_code& ec) {
    asio::co_spawn(
        ctx, [&]() -> asio::awaitable<void> { co_await s->write(asio::buffer(text), ec); }, asio::detached);
    ctx.run();
    ctx.restart();
  }
};

TEST(DeflateStream, ReadsWhatThePeerCompressedAcrossSegments) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "a" + std::to_string(i) + " FETCH 1:* (FLAGS)\r\n";
  std::string z = raw_deflate(text);
  std::deque<Segment> in;
  for (size_t i = 0; i < z.size(); i += 7) in.emplace_back(z.substr(i, 7));  // tiny TCP segments
  Harness h(std::move(in));
  asio::error_code ec;
  EXPECT_EQ(h.read_all(4096, ec), text);
  EXPECT_EQ(ec, asio::error::eof);
}

TEST(DeflateStream, BytesReadBeforeTheSwitchAreDecodedFirst) {
  std::string z = raw_deflate("b NOOP\r\nc LOGOUT\r\n");
  Harness h({z.substr(5)}, z.substr(0, 5));
  asio::error_code ec;
  EXPECT_EQ(h.read_all(100, ec), "b NOOP\r\nc LOGOUT\r\n");
}

TEST(DeflateStream, AHugeExpansionComesOutOneBufferAtATime) {
  std::string zeros(1 << 20, '0');
  std::string z = raw_deflate(zeros);
  EXPECT_LT(z.size(), 4096u);
  Harness h({z});
  asio::error_code ec;
  std::string got = h.read_all(100, ec);  // every read checked to be at most 100 bytes
  EXPECT_EQ(got.size(), zeros.size());
  EXPECT_EQ(got, zeros);
}

TEST(DeflateStream, WritesAreCompressedAndFlushedEachTime) {
  Harness h({});
  asio::error_code ec;
  h.write("* 1 EXISTS\r\n", ec);
  ASSERT_FALSE(ec);
  // Flushed: the peer can decode the first reply before any second write.
  EXPECT_EQ(raw_inflate(h.t->written), "* 1 EXISTS\r\n");
  std::string big;
  for (int i = 0; i < 5000; ++i) big += "* " + std::to_string(i) + " FETCH (FLAGS (\\Seen))\r\n";
  h.write(big, ec);
  ASSERT_FALSE(ec);
  EXPECT_LT(h.t->written.size(), big.size() / 4);
  EXPECT_EQ(raw_inflate(h.t->written), "* 1 EXISTS\r\n" + big);
}

TEST(DeflateStream, CorruptInputFailsTheRead) {
  Harness h({std::string("\xff\xff\xff\xff garbage", 12)});
  asio::error_code ec;
  h.read_all(100, ec);
  EXPECT_EQ(ec, std::make_error_code(std::errc::bad_message));
}

TEST(DeflateStream, TheEndOfThePeersStreamIsTheEndOfInput) {
  std::string z = raw_deflate("x LOGOUT\r\n", Z_FINISH);
  Harness h({z, "plain bytes after the end are never read as input"});
  asio::error_code ec;
  EXPECT_EQ(h.read_all(100, ec), "x LOGOUT\r\n");
  EXPECT_EQ(ec, asio::error::eof);
}

}  // namespace
}  // namespace tern::io
