// Tests of the client side of TLS: the smtp_tls_policy_maps parser and
// lookup, and real handshakes between tls::ServerContext and
// tls::ClientContext over a loopback TCP connection (Verified, Trusted,
// Untrusted as Postfix logs them).
#include <gtest/gtest.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <filesystem>

#include "io/tcp_stream.h"
#include "maps/table.h"
#include "tls/client_context.h"
#include "tls/client_policy.h"
#include "tls/self_signed.h"
#include "tls/server_context.h"

namespace tern::tls {
namespace {

using io::TlsLevel;

TEST(TlsClientPolicy, ParseValues) {
  struct Case {
    const char* in;
    bool ok;
    TlsLevel level;
  } cases[] = {
      {"none", true, TlsLevel::none},      {"may", true, TlsLevel::may},       {"ENCRYPT", true, TlsLevel::encrypt},
      {"verify", true, TlsLevel::verify},  {"secure", true, TlsLevel::verify}, {" may ", true, TlsLevel::may},
      {"dane", false, TlsLevel::none},     {"", false, TlsLevel::none},        {"maybe", false, TlsLevel::none},
      {"encrypt protocols=TLSv1.3", false, TlsLevel::none},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    auto r = parse_policy(c.in);
    ASSERT_EQ(r.ok(), c.ok);
    if (c.ok) EXPECT_EQ(*r, c.level);
    else EXPECT_FALSE(r.error().detail.empty());
  }
}

TEST(TlsClientPolicy, Keys) {
  using V = std::vector<std::string>;
  EXPECT_EQ(policy_keys("[MX.example.com]:587", "x.org"), V{"[mx.example.com]:587"});
  EXPECT_EQ(policy_keys("", "Mail.Example.com"), (V{"mail.example.com", ".example.com", ".com"}));
  EXPECT_EQ(policy_keys("example.com:2525", ""), (V{"example.com:2525", "example.com", ".com"}));
  EXPECT_EQ(policy_keys("", ""), V{});
}

TEST(TlsClientPolicy, Lookup) {
  auto t = maps::open_table("inline:{ example.com=encrypt, .example.net=verify, [relay.example.org]:587=verify, "
                            "bad.example=dane }");
  ASSERT_TRUE(t.ok()) << t.error().detail;
  std::vector<std::shared_ptr<maps::Table>> tables{*t};
  auto level = [&](std::string_view hop, std::string_view domain) { return lookup_policy(tables, hop, domain); };
  EXPECT_EQ(**level("", "example.com"), TlsLevel::encrypt);
  EXPECT_EQ(**level("", "mx.example.net"), TlsLevel::verify);
  EXPECT_EQ(**level("[relay.example.org]:587", "example.com"), TlsLevel::verify);
  EXPECT_FALSE(level("[relay.example.org]", "x.org")->has_value());
  EXPECT_FALSE(level("", "example.org")->has_value());
  auto bad = level("", "bad.example");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.error().is_temporary());
  EXPECT_EQ(bad.error().dsn, "4.7.5");
}

// A server with a self-signed certificate for mx.test, and a client.
class TlsLoopback : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tern-tlsclient-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    cert_ = (dir_ / "cert.pem").string();
    ASSERT_TRUE(make_self_signed("mx.test", cert_, (dir_ / "key.pem").string()).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::shared_ptr<const config::Config> load(const std::string& text) {
    auto loaded = config::load_string(text, "main.cf");
    EXPECT_TRUE(loaded.ok());
    return loaded.config;
  }

  // Handshakes with `name` as SNI and name to verify; the client's summary.
  io::TlsSummary handshake(const std::string& client_cf, const std::string& name, bool& ok) {
    auto server = ServerContext::create(*load("smtpd_tls_cert_file = " + cert_ + "\nsmtpd_tls_key_file = " +
                                              (dir_ / "key.pem").string() + "\n"));
    EXPECT_TRUE(server.ok());
    auto client = ClientContext::create(*load(client_cf));
    EXPECT_TRUE(client.ok()) << (client.ok() ? "" : client.error().detail);
    asio::io_context ctx;
    asio::ip::tcp::acceptor acc(ctx, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    io::TlsSummary out;
    ok = false;
    asio::co_spawn(ctx, serve(acc, (*server).get()), asio::detached);
    asio::co_spawn(ctx, connect(acc.local_endpoint(), (*client).get(), name, &out, &ok), asio::detached);
    ctx.run_for(std::chrono::seconds(10));
    return out;
  }

  static asio::awaitable<void> serve(asio::ip::tcp::acceptor& acc, ServerContext* server) {
    asio::error_code ec;
    auto sock = co_await acc.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    std::unique_ptr<io::Stream> plain = std::make_unique<io::TcpStream>(std::move(sock));
    auto tls = server->wrap(plain);
    co_await tls->handshake(ec);
    if (ec) co_return;
    co_await tls->write(asio::buffer("hello", 5), ec);
    tls->close();
  }

  static asio::awaitable<void> connect(asio::ip::tcp::endpoint ep, ClientContext* client, std::string name,
                                       io::TlsSummary* out, bool* ok) {
    asio::ip::tcp::socket sock(co_await asio::this_coro::executor);
    asio::error_code ec;
    co_await sock.async_connect(ep, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    std::unique_ptr<io::Stream> plain = std::make_unique<io::TcpStream>(std::move(sock));
    auto tls = client->wrap(plain, name, true);
    if (!tls || plain) co_return;
    co_await tls->handshake(ec);
    if (ec) co_return;
    char buf[5];
    size_t n = co_await tls->read_some(asio::buffer(buf), ec);
    *ok = n == 5 && std::string_view(buf, 5) == "hello";
    *out = tls->summary();
    tls->close();
  }

  std::filesystem::path dir_;
  std::string cert_;
};

TEST_F(TlsLoopback, VerifiedWithTheCaAndTheName) {
  bool ok = false;
  auto s = handshake("smtp_tls_CAfile = " + cert_ + "\n", "mx.test", ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(s.trust, io::TlsSummary::Trust::verified);
  EXPECT_STREQ(io::trust_word(s.trust), "Verified");
  EXPECT_FALSE(s.protocol.empty());
  EXPECT_GT(s.bits, 0);
}

TEST_F(TlsLoopback, TrustedWhenTheNameDiffers) {
  bool ok = false;
  auto s = handshake("smtp_tls_CAfile = " + cert_ + "\n", "other.test", ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(s.trust, io::TlsSummary::Trust::trusted);
  EXPECT_NE(s.verify_error.find("mismatch"), std::string::npos) << s.verify_error;
}

TEST_F(TlsLoopback, UntrustedWithoutTheCa) {
  bool ok = false;
  auto s = handshake("", "mx.test", ok);  // the system store does not know a fresh self-signed certificate
  ASSERT_TRUE(ok);
  EXPECT_EQ(s.trust, io::TlsSummary::Trust::untrusted);
  EXPECT_FALSE(s.verify_error.empty());
}

TEST_F(TlsLoopback, BadCaFileIsAConfigError) {
  auto c = ClientContext::create(*load("smtp_tls_CAfile = /nonexistent/ca.pem\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().detail.rfind("main.cf:1: smtp_tls_CAfile: cannot load CA certificates", 0), 0u)
      << c.error().detail;
}

}  // namespace
}  // namespace tern::tls
