// libunbound under Asio (see resolver.h for how and why).
#include "dns/resolver.h"

#include <fmt/format.h>
#include <unbound.h>

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include "base/log.h"

namespace tern::dns {

namespace {
// The resolver whose ub_process() (or ub_resolve_async()) is running on this
// thread: libunbound's callback gets only our void*, which carries the
// query's sequence number, never a pointer that a cancel could leave dangling.
thread_local Resolver* t_current = nullptr;

struct CurrentScope {
  explicit CurrentScope(Resolver* r) : saved(t_current) { t_current = r; }
  ~CurrentScope() { t_current = saved; }
  Resolver* saved;
};

// Records copied out of one answer at most: a 64 KiB message holds fewer
// than 6,000 A records; no caller needs more than a few dozen.
constexpr size_t kMaxRecordsPerAnswer = 256;

// libunbound's default local zones that a site's DNS server may serve
// ("localhost." stays built in). Declared "transparent" (no local data, so
// every query goes out): "nodefault" is not honoured through
// ub_ctx_set_option in libunbound 1.17.
constexpr const char* kBuiltinZones[] = {
    "127.in-addr.arpa.", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
    "home.arpa.", "onion.", "test.", "invalid."};

Answer convert(int err, ub_result* r) {
  Answer a;
  if (err != 0 || r == nullptr) {
    a.problem = fmt::format("resolver error: {}", ub_strerror(err));
    return a;
  }
  a.secure = r->secure != 0;
  if (r->canonname) a.canonical_name = r->canonname;
  if (r->bogus) {
    a.problem = fmt::format("DNSSEC validation failed: {}", r->why_bogus ? r->why_bogus : "bogus");
  } else if (r->rcode == 3 /* NXDOMAIN */) {
    a.status = Answer::Status::nxdomain;
  } else if (r->rcode != 0) {
    static constexpr const char* kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
    a.problem = r->rcode < 6 ? kNames[r->rcode] : fmt::format("rcode {}", r->rcode);
  } else if (!r->havedata) {
    a.status = Answer::Status::nodata;
  } else {
    a.status = Answer::Status::ok;
    for (size_t i = 0; r->data[i] != nullptr && i < kMaxRecordsPerAnswer; ++i) {
      auto* p = reinterpret_cast<const uint8_t*>(r->data[i]);
      a.records.emplace_back(p, p + r->len[i]);
    }
  }
  return a;
}
}  // namespace

struct Resolver::Pending {
  explicit Pending(const Strand& s) : timer(s) {}
  asio::steady_timer timer;
  Handler done;
  int async_id = 0;
};

Result<std::shared_ptr<Resolver>> Resolver::create(asio::any_io_executor ex, const Options& options) {
  ub_ctx* ctx = ub_ctx_create();
  if (!ctx) return Error::temp("cannot create the DNS resolver (libunbound: out of memory)");
  auto fail = [&](std::string what, int err) -> Error {
    ub_ctx_delete(ctx);
    return Error::temp(fmt::format("{}: {}", what, ub_strerror(err)));
  };
  if (int e = ub_ctx_async(ctx, 1)) return fail("libunbound: no threads", e);
  // A forwarder on 127.0.0.1 (a local cache, the tests' server) must be
  // usable: libunbound refuses localhost addresses by default.
  if (int e = ub_ctx_set_option(ctx, "do-not-query-localhost:", "no")) return fail("libunbound option", e);
  // Every name goes to the nameservers, as with the system resolver Postfix
  // uses: libunbound's built-in answers (RFC 6761 and RFC 6303 zones) would
  // hide a site's own reverse zones for 10/8, 192.168/16, 127/8 and names
  // under test. or home.arpa. that its DNS server serves.
  for (const char* opt : {"unblock-lan-zones:", "insecure-lan-zones:"})
    if (int e = ub_ctx_set_option(ctx, opt, "yes")) return fail("libunbound option", e);
  for (const char* zone : kBuiltinZones)
    if (int e = ub_ctx_set_option(ctx, "local-zone:", (std::string(zone) + " transparent").c_str()))
      return fail("libunbound option", e);
  if (!options.forwarder.empty()) {
    if (int e = ub_ctx_set_fwd(ctx, options.forwarder.c_str()))
      return fail(fmt::format("DNS server {}", options.forwarder), e);
  } else if (int e = ub_ctx_resolvconf(ctx, options.resolv_conf.c_str())) {
    // Without nameservers libunbound resolves from the root itself, which
    // works where outbound DNS is allowed; say so rather than fail.
    log::warn("cannot read nameservers from {} ({}); resolving from the root servers; "
              "set dns_resolver = host:port to name a DNS server",
              options.resolv_conf, ub_strerror(e));
  }
  int fd = ub_fd(ctx);
  if (fd < 0) {
    ub_ctx_delete(ctx);
    return Error::temp("libunbound: no result descriptor");
  }
  return std::shared_ptr<Resolver>(new Resolver(std::move(ex), ctx, options.timeout));
}

Resolver::Resolver(asio::any_io_executor ex, ub_ctx* ctx, std::chrono::milliseconds timeout)
    : strand_(asio::make_strand(std::move(ex))),
      ctx_(ctx),
      fd_(strand_, ub_fd(ctx)),
      timeout_(timeout),
      rng_(std::random_device{}()) {}

Resolver::~Resolver() {
  fd_.release();  // libunbound owns the pipe
  ub_ctx_delete(ctx_);
}

void Resolver::query(std::string name, RrType type, Handler done) {
  asio::post(strand_, [self = shared_from_this(), name = std::move(name), type, done = std::move(done)]() mutable {
    self->start(std::move(name), type, std::move(done));
  });
}

void Resolver::start(std::string name, RrType type, Handler done) {
  uint64_t seq = ++next_seq_;
  auto p = std::make_unique<Pending>(strand_);
  p->done = std::move(done);
  pending_[seq] = std::move(p);
  int err, id = 0;
  {
    CurrentScope scope(this);
    err = ub_resolve_async(ctx_, name.c_str(), static_cast<int>(type), 1 /* IN */,
                           reinterpret_cast<void*>(static_cast<uintptr_t>(seq)), &Resolver::on_result, &id);
  }
  if (err != 0) {
    Answer a;
    a.problem = fmt::format("resolver error: {}", ub_strerror(err));
    finish(seq, std::move(a));
    return;
  }
  auto it = pending_.find(seq);
  if (it == pending_.end()) return;  // answered inside ub_resolve_async
  it->second->async_id = id;
  it->second->timer.expires_after(timeout_);
  it->second->timer.async_wait([self = shared_from_this(), seq](const asio::error_code& ec) {
    if (!ec) self->on_timeout(seq);
  });
  watch();
}

void Resolver::watch() {
  if (watching_ || pending_.empty()) return;
  watching_ = true;
  fd_.async_wait(asio::posix::descriptor_base::wait_read, [weak = weak_from_this()](const asio::error_code& ec) {
    auto self = weak.lock();
    if (!self) return;
    self->watching_ = false;
    if (ec && ec != asio::error::operation_aborted) return;
    // Aborted: no query was pending a moment ago; one may be now.
    if (!ec) {
      CurrentScope scope(self.get());
      ub_process(self->ctx_);
    }
    self->watch();
  });
}

void Resolver::on_result(void* data, int err, ub_result* result) {
  Answer a = convert(err, result);
  if (result) ub_resolve_free(result);
  if (t_current) t_current->finish(static_cast<uint64_t>(reinterpret_cast<uintptr_t>(data)), std::move(a));
}

void Resolver::on_timeout(uint64_t seq) {
  auto it = pending_.find(seq);
  if (it == pending_.end()) return;
  // If the answer is already in the pipe the cancel fails; on_result then
  // finds no pending query and drops it.
  ub_cancel(ctx_, it->second->async_id);
  Answer a;
  a.problem = fmt::format("timed out after {}s", std::chrono::duration<double>(timeout_).count());
  finish(seq, std::move(a));
}

void Resolver::finish(uint64_t seq, Answer answer) {
  auto it = pending_.find(seq);
  if (it == pending_.end()) return;
  Handler done = std::move(it->second->done);
  pending_.erase(it);  // destroys the timer: its wait ends with operation_aborted
  if (pending_.empty() && watching_) fd_.cancel();
  asio::post(strand_, [done = std::move(done), answer = std::move(answer)]() mutable { done(std::move(answer)); });
}

}  // namespace tern::dns
