// smtp-tls-load: the load client of bench/submission.sh (smtp-source speaks
// no TLS). Three modes:
//   throughput  N concurrent sessions send M messages in all, each session
//               connect, EHLO, STARTTLS, EHLO, AUTH PLAIN, MAIL, RCPT,
//               DATA, QUIT; prints sessions/s, msgs/s and every failure.
//   --idle K    opens K sessions up to the EHLO after STARTTLS, prints
//               "idle-ready", and holds them until SIGTERM/SIGINT or --hold.
//   --sink      the reference server (sink.h) the client's ceiling is
//               measured against.
// Output is one "key=value ..." line for scripts, then one line per kind of
// failure. Exit status 1 if anything failed, 2 on a usage error.
#include <getopt.h>
#include <sys/resource.h>
#include <openssl/err.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "client.h"
#include "conn.h"
#include "sink.h"

namespace {

using bench::ClientOptions;
using bench::Stats;

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "smtp-tls-load: %s\n"
               "usage: smtp-tls-load --server HOST:PORT [-s SESSIONS] [-m MESSAGES] [options]\n"
               "       smtp-tls-load --server HOST:PORT --idle K [--hold SECONDS] [options]\n"
               "       smtp-tls-load --sink HOST:PORT --cert FILE --key FILE\n"
               "options: --user U --password P --from ADDR --to ADDR --helo NAME --sni NAME\n"
               "         --size BYTES (body, default 1024) --per-session N (messages, default 1)\n"
               "         --timeout SECONDS (per session, default 60) --threads N (default 1)\n"
               "         --resume (offer the last TLS session again; default: a full handshake each)\n"
               "         --plain (no STARTTLS, no AUTH: the plaintext ceiling)\n",
               why);
  std::exit(2);
}

asio::ip::tcp::endpoint parse_endpoint(const std::string& s) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) usage(("not HOST:PORT: " + s).c_str());
  std::string host = s.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  asio::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  int port = std::atoi(s.c_str() + colon + 1);
  if (ec || port <= 0 || port > 65535) usage(("not an IP address and port: " + s).c_str());
  return {addr, static_cast<unsigned short>(port)};
}

void print_failures(const Stats& st) {
  for (auto& [key, n] : st.failures)
    std::printf("failure: %ld x %s -- %s\n", n, key.c_str(), st.example.at(key).c_str());
}

// Coroutines take what they use as parameters (copied into their frame),
// never through a lambda's captures, which die with the lambda object.
asio::awaitable<void> throughput_worker(const ClientOptions& o, bench::TlsClient& tls, std::atomic<long>& next,
                                        long total, Stats& st) {
  for (long i; (i = next++) < total;) co_await bench::submission_session(o, tls, i, st);
}

struct IdleState {
  std::vector<std::shared_ptr<bench::Conn>> held;
  Stats st;
  long next = 0;
  int running = 0;
};

asio::awaitable<void> idle_worker(const ClientOptions& o, bench::TlsClient& tls, long k, IdleState& s,
                                  std::function<void()> all_open) {
  while (s.next < k) {
    ++s.next;
    if (auto c = co_await bench::idle_session(o, tls, s.st)) s.held.push_back(std::move(c));
  }
  if (--s.running == 0) all_open();
}

int run_throughput(const ClientOptions& o, int sessions, long messages, int threads) {
  bench::TlsClient tls(o.resume);
  long total = (messages + o.per_session - 1) / o.per_session;
  std::atomic<long> next{0};
  std::vector<std::unique_ptr<asio::io_context>> ios;
  std::vector<Stats> stats(threads);
  for (int t = 0; t < threads; ++t) ios.push_back(std::make_unique<asio::io_context>(1));
  for (int w = 0; w < sessions; ++w) {
    int t = w % threads;
    asio::co_spawn(*ios[t], throughput_worker(o, tls, next, total, stats[t]), asio::detached);
  }
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back([&, t] { ios[t]->run(); });
  ios[0]->run();
  for (auto& th : pool) th.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Stats all;
  for (auto& s : stats) all.merge(s);
  // The client's own CPU time: how much of the two cores it took from the server.
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  double cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  std::printf(
      "mode=throughput sessions=%d messages=%ld per_session=%d threads=%d tls=%s resume=%s seconds=%.3f "
      "ok_sessions=%ld ok_msgs=%ld failed_sessions=%ld resumed=%ld sessions_per_s=%.1f msgs_per_s=%.1f "
      "client_cpu_s=%.3f client_cpu_ms_per_session=%.3f\n",
      sessions, messages, o.per_session, threads, o.starttls ? "yes" : "no", o.resume ? "yes" : "no", secs,
      all.sessions_ok, all.msgs_ok, all.sessions_failed, all.resumed, all.sessions_ok / secs, all.msgs_ok / secs, cpu,
      total ? cpu * 1000 / total : 0.0);
  print_failures(all);
  return all.failures.empty() ? 0 : 1;
}

// Opens k sessions, `sessions` at a time, and holds them.
int run_idle(const ClientOptions& o, int sessions, long k, int hold_s) {
  bench::TlsClient tls(o.resume);
  asio::io_context io(1);
  IdleState s;
  s.running = sessions;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::steady_timer hold(io);
  auto all_open = [&] {
    std::printf("mode=idle idle-ready open=%zu failed_sessions=%ld resumed=%ld\n", s.held.size(),
                s.st.sessions_failed, s.st.resumed);
    print_failures(s.st);
    std::fflush(stdout);
    hold.expires_after(std::chrono::seconds(hold_s));
    hold.async_wait([&](const asio::error_code&) { io.stop(); });
    signals.async_wait([&](const asio::error_code&, int) { io.stop(); });
  };
  for (int w = 0; w < sessions; ++w) asio::co_spawn(io, idle_worker(o, tls, k, s, all_open), asio::detached);
  io.run();
  for (auto& c : s.held) c->close();
  return s.st.failures.empty() ? 0 : 1;
}

int run_sink(const std::string& listen, const std::string& cert, const std::string& key) {
  if (cert.empty() || key.empty()) usage("--sink needs --cert and --key");
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_read_ahead(ctx, 1);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    std::fprintf(stderr, "smtp-tls-load: %s\n", bench::openssl_error("certificate or key").c_str());
    return 1;
  }
  asio::io_context io(1);
  asio::ip::tcp::acceptor acceptor(io, parse_endpoint(listen));
  acceptor.listen(1024);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const asio::error_code&, int) { io.stop(); });
  asio::co_spawn(io, bench::sink_accept_loop(acceptor, ctx), asio::detached);
  std::printf("mode=sink listening=%s\n", listen.c_str());
  std::fflush(stdout);
  io.run();
  SSL_CTX_free(ctx);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // OpenSSL writes with write(2): a reset peer must be an error, not a death
  ClientOptions o;
  std::string server, sink, cert, key;
  int sessions = 1, threads = 1, hold_s = 600;
  long messages = 100, idle = 0;
  enum { kServer = 1000, kSink, kCert, kKey, kUser, kPassword, kFrom, kTo, kHelo, kSni, kSize, kPerSession,
         kTimeout, kThreads, kResume, kPlain, kIdle, kHold };
  static const option longopts[] = {
      {"server", required_argument, nullptr, kServer},   {"sink", required_argument, nullptr, kSink},
      {"cert", required_argument, nullptr, kCert},       {"key", required_argument, nullptr, kKey},
      {"user", required_argument, nullptr, kUser},       {"password", required_argument, nullptr, kPassword},
      {"from", required_argument, nullptr, kFrom},       {"to", required_argument, nullptr, kTo},
      {"helo", required_argument, nullptr, kHelo},       {"sni", required_argument, nullptr, kSni},
      {"size", required_argument, nullptr, kSize},       {"per-session", required_argument, nullptr, kPerSession},
      {"timeout", required_argument, nullptr, kTimeout}, {"threads", required_argument, nullptr, kThreads},
      {"resume", no_argument, nullptr, kResume},         {"plain", no_argument, nullptr, kPlain},
      {"idle", required_argument, nullptr, kIdle},       {"hold", required_argument, nullptr, kHold},
      {nullptr, 0, nullptr, 0}};
  auto positive = [](const char* s, const char* name) {
    char* end = nullptr;
    long v = std::strtol(s, &end, 10);
    if (!*s || *end || v <= 0) usage((std::string(name) + " wants a positive number, not '" + s + "'").c_str());
    return v;
  };
  for (int c; (c = getopt_long(argc, argv, "s:m:", longopts, nullptr)) != -1;) {
    switch (c) {
      case 's': sessions = static_cast<int>(positive(optarg, "-s")); break;
      case 'm': messages = positive(optarg, "-m"); break;
      case kServer: server = optarg; break;
      case kSink: sink = optarg; break;
      case kCert: cert = optarg; break;
      case kKey: key = optarg; break;
      case kUser: o.user = optarg; break;
      case kPassword: o.password = optarg; break;
      case kFrom: o.from = optarg; break;
      case kTo: o.to = optarg; break;
      case kHelo: o.helo = optarg; break;
      case kSni: o.sni = optarg; break;
      case kSize: o.body_bytes = static_cast<size_t>(positive(optarg, "--size")); break;
      case kPerSession: o.per_session = static_cast<int>(positive(optarg, "--per-session")); break;
      case kTimeout: o.timeout_s = static_cast<int>(positive(optarg, "--timeout")); break;
      case kThreads: threads = static_cast<int>(positive(optarg, "--threads")); break;
      case kResume: o.resume = true; break;
      case kPlain: o.starttls = false; break;
      case kIdle: idle = positive(optarg, "--idle"); break;
      case kHold: hold_s = static_cast<int>(positive(optarg, "--hold")); break;
      default: usage("unknown option");
    }
  }
  if (optind != argc) usage("unexpected argument");
  if (!sink.empty()) return run_sink(sink, cert, key);
  if (server.empty()) usage("--server HOST:PORT is required");
  o.server = parse_endpoint(server);
  if (idle) return run_idle(o, sessions, idle, hold_s);
  return run_throughput(o, sessions, messages, threads);
}
