// The daemon's start-up, signal handling and shutdown (see serve.h).
#include "roles/serve.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>

#include "base/child.h"
#include "base/fs.h"
#include "base/heap_policy.h"
#include "base/log.h"
#include "config/config.h"
#include "dns/settings.h"
#include "io/endpoint.h"
#include "queue/spool.h"
#include "queue/writer.h"
#include "roles/control.h"
#include "roles/imap_worker.h"
#include "roles/local_helper.h"
#include "roles/password_verifier.h"
#include "roles/pid_file.h"
#include "roles/privileges.h"
#include "roles/services.h"
#include "roles/shutdown_guard.h"
#include "roles/submit_listener.h"
#include "scheduler/acceptance.h"
#include "scheduler/scheduler.h"
#include "imap/server/server.h"
#include "pop3/server/server.h"
#include "smtp/server/server.h"
#include "store/mail_fsync.h"

namespace tern::roles {

namespace {

std::shared_ptr<const config::Config> load(const ServeOptions& opt, std::string& errors) {
  auto r = opt.demo ? config::load_string(config::embedded_demo_config(), "(embedded demo config)")
                    : config::load_file(opt.config_path);
  for (auto& d : r.diagnostics) {
    if (d.is_error)
      errors += d.to_string() + "\n";
    else
      log::warn("{}", d.to_string());
  }
  return r.config;
}

// Every connection costs a descriptor, and an IMAP session with a folder
// selected four more while it works: the daemon uses all the administrator
// allows (the hard limit), as Dovecot and Postfix's master do, instead of the
// shell's soft default of 1024.
void raise_descriptor_limit() {
  struct rlimit rl;
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max) return;
  rl.rlim_cur = rl.rlim_max;
  // Fails only for an unlimited hard limit above fs.nr_open: the soft limit then stays.
  if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) log::warn("cannot raise the open file limit: {}", std::strerror(errno));
}

// imap_threads, 0 meaning 64 per core (at most 256): a loop blocked in an
// fsync leaves the core to the others, concurrent fsyncs share journal
// commits, and with more loops than busy sessions a session seldom waits
// behind another's disk wait (docs/configuration.md, "Threads").
// Each loop holds three descriptors (an epoll, an eventfd, a timerfd): the
// loops take at most a sixteenth of RLIMIT_NOFILE, so that a low limit
// gives fewer loops rather than a daemon that cannot start.
size_t imap_thread_count(const config::Config& cfg) {
  long long n = cfg.integer("imap_threads");
  size_t want = n > 0 ? static_cast<size_t>(std::min(n, 256LL))
                      : std::min<size_t>(64 * std::max(1u, std::thread::hardware_concurrency()), 256);
  struct rlimit rl;
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    const size_t fit = std::max<size_t>(1, static_cast<size_t>(rl.rlim_cur) / 48);
    if (want > fit) {
      if (n > 0) log::warn("imap_threads = {} lowered to {}: the open file limit is {}", n, fit, rl.rlim_cur);
      want = fit;
    }
  }
  return want;
}

// Mailbox settings the store keeps for the process (mail_fsync).
void apply_store_settings(const config::Config& cfg) {
  store::set_mail_fsync(cfg.get("mail_fsync") == "always" ? store::MailFsync::always : store::MailFsync::optimized);
}

}  // namespace

// A start-up failure: logged, and also printed on stderr when the log goes
// elsewhere, so that whoever started the daemon sees why it did not start.
static int startup_failure(const config::Config& cfg, int exit_code, const std::string& why) {
  log::error("{}", why);
  const std::string target = cfg.get("maillog_file");
  if (!target.empty() && target != "stderr" && target != "/dev/stderr") std::fprintf(stderr, "tern: %s\n", why.c_str());
  return exit_code;
}

int serve(const ServeOptions& opt) {
  std::string errors;
  auto cfg = load(opt, errors);
  if (!cfg) {
    std::fputs(errors.c_str(), stderr);
    return 78;  // EX_CONFIG
  }
  if (auto st = log::configure(cfg->get("maillog_file"), cfg->get("syslog_name") + "/master"); !st) {
    std::fprintf(stderr, "tern: maillog_file: %s\n", st.error().detail.c_str());
    return 73;  // EX_CANTCREAT
  }
  if (opt.demo && prepare_demo_state() != 0) return 73;
  raise_descriptor_limit();
  base::apply_server_heap_policy();

  queue::Spool spool(cfg->get("queue_directory"));
  if (auto st = spool.init(); !st) return startup_failure(*cfg, 73, "queue_directory: " + st.error().detail);
  // One daemon per queue: a lock on the queue directory (roles/pid_file.h).
  auto queue_lock = lock_queue(spool.dir());
  if (!queue_lock) return startup_failure(*cfg, 75, queue_lock.error().detail);
  std::string pidf = pid_file(spool.dir());

  // POP-before-SMTP logins, kept across reloads; POP3 (and later IMAP)
  // logins record into it.
  auto recent_logins = std::make_shared<policy::RecentLogins>();
  // Threads for AUTH password checks: they start at the first check, after
  // the fork below and the privilege drop.
  auto verify_pool = std::make_shared<VerifyPool>(2, 256);
  // Validates the configuration before anything forks.
  auto services = build_services(cfg, nullptr, recent_logins, verify_pool);
  if (!services) return startup_failure(*cfg, 78, services.error().detail);
  apply_store_settings(*cfg);

  // Deliveries as other users need root: keep it in a separate process.
  // IMAP worker processes (roles/imap_worker.h) get one each, started here
  // with it, before any listener is bound (a helper keeps every descriptor
  // it inherits) and before the link's reader thread starts.
  const size_t imap_processes = cfg->list("imap_listen").empty() && cfg->list("imaps_listen").empty()
                                    ? 1
                                    : static_cast<size_t>(std::clamp(cfg->integer("imap_processes"), 1LL, 64LL));
  std::shared_ptr<HelperLink> helper;
  std::vector<int> worker_helper_fds;
  if (::geteuid() == 0 && !cfg->get("mail_owner").empty()) {
    auto fd = start_local_helper(opt);
    if (!fd) return startup_failure(*cfg, 71, fd.error().detail);
    std::vector<int> started{*fd};
    for (size_t i = 1; i < imap_processes; ++i) {
      auto wfd = start_local_helper(opt, started);
      if (!wfd) return startup_failure(*cfg, 71, wfd.error().detail);
      started.push_back(*wfd);
      worker_helper_fds.push_back(*wfd);
    }
    helper = std::make_shared<HelperLink>(*fd);
    services = build_services(cfg, helper, recent_logins, verify_pool);
    if (!services) return 78;
  }
  asio::io_context ctx(1);
  // Password checks post their results to ctx: stop them before it goes.
  struct StopPool {
    VerifyPool& pool;
    ~StopPool() { pool.stop(); }
  } stop_pool{*verify_pool};
  std::vector<std::pair<asio::ip::tcp::acceptor, smtp::ListenerKind>> acceptors;
  for (auto [param, kind] : {std::pair{"smtpd_listen", smtp::ListenerKind::smtp},
                             std::pair{"submission_listen", smtp::ListenerKind::submission},
                             std::pair{"submissions_listen", smtp::ListenerKind::submissions}}) {
    if (kind == smtp::ListenerKind::submissions && !cfg->list(param).empty() && !services->smtp->tls)
      return startup_failure(*cfg, 78,
                             cfg->origin(param) + ": submissions_listen needs a certificate: set smtpd_tls_cert_file "
                                                  "and smtpd_tls_key_file (or smtpd_tls_chain_files), or empty it");
    for (auto& addr : cfg->list(param)) {
      auto acc = io::open_listener(ctx, addr);
      if (!acc) return startup_failure(*cfg, 71, std::string(param) + ": " + acc.error().detail);
      acceptors.emplace_back(std::move(*acc), kind);
    }
  }
  // POP3 and IMAP: a plain port (STLS / STARTTLS) and one with TLS from
  // the first byte, which needs a certificate.
  using Acceptors = std::vector<std::pair<asio::ip::tcp::acceptor, bool>>;  // bool: implicit TLS
  Acceptors pop3_acceptors, imap_acceptors;
  std::string listen_error;
  auto open_pair = [&](const char* plain, const char* implicit, bool have_tls, Acceptors& out) -> int {
    for (auto [param, implicit_tls] : {std::pair{plain, false}, std::pair{implicit, true}}) {
      if (implicit_tls && !cfg->list(param).empty() && !have_tls) {
        listen_error = cfg->origin(param) + ": " + param +
                       " needs a certificate: set smtpd_tls_cert_file and smtpd_tls_key_file (or "
                       "smtpd_tls_chain_files), or empty it";
        return 78;
      }
      for (auto& addr : cfg->list(param)) {
        auto acc = io::open_listener(ctx, addr);
        if (!acc) {
          listen_error = std::string(param) + ": " + acc.error().detail;
          return 71;
        }
        out.emplace_back(std::move(*acc), implicit_tls);
      }
    }
    return 0;
  };
  if (int rc = open_pair("pop3_listen", "pop3s_listen", services->pop3->tls != nullptr, pop3_acceptors); rc != 0)
    return startup_failure(*cfg, rc, listen_error);
  if (int rc = open_pair("imap_listen", "imaps_listen", services->imap->tls != nullptr, imap_acceptors); rc != 0)
    return startup_failure(*cfg, rc, listen_error);

  // Listeners are bound: now give up root, if we had it.
  if (auto st = drop_privileges(*cfg, spool); !st) return startup_failure(*cfg, 77, st.error().detail);

  // The workers are forked now, before this process starts threads of its
  // own (the helper link's reader is the only one: the children never use
  // that link, and leave without running destructors).
  auto reload_services = [&opt, recent_logins, verify_pool](std::shared_ptr<HelperLink> h,
                                                             const ServiceSet& previous) -> Result<ServiceSet> {
    std::string errs;
    auto fresh = load(opt, errs);
    if (!fresh) return Error::perm(errs);
    auto built = build_services(fresh, std::move(h), recent_logins, verify_pool, &previous);
    if (built) apply_store_settings(*fresh);
    return built;
  };
  std::vector<pid_t> imap_workers;
  // Signals wait until a worker has its handlers (a SIGHUP meanwhile would
  // kill it); the main process's own wait for its signal_set, below.
  sigset_t daemon_signals, mask_before;
  ::sigemptyset(&daemon_signals);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) ::sigaddset(&daemon_signals, sig);
  if (imap_processes > 1) ::pthread_sigmask(SIG_BLOCK, &daemon_signals, &mask_before);
  const pid_t main_pid = ::getpid();
  // A worker ends its sessions before the main process's guard cuts
  // everything short (ShutdownGuard: a second, or half the timeout, before it).
  const auto shutdown_total = std::chrono::milliseconds(std::max(1000LL, cfg->seconds("shutdown_timeout") * 1000LL));
  const auto guard_grace = std::min<std::chrono::milliseconds>(std::chrono::seconds(1), shutdown_total / 2);
  const auto worker_within = shutdown_total - guard_grace - guard_grace / 2;
  for (size_t i = 1; i < imap_processes; ++i) {
    ctx.notify_fork(asio::io_context::fork_prepare);
    pid_t pid = ::fork();
    if (pid == 0) {
      ctx.notify_fork(asio::io_context::fork_child);
      log::set_program(cfg->get("syslog_name") + "/imap");
      ::close(queue_lock->release());  // the next daemon must not wait for a worker to go
      acceptors.clear();
      pop3_acceptors.clear();
      ImapWorkerSetup w;
      w.index = i;
      w.services = *services;
      for (size_t j = 0; j < worker_helper_fds.size(); ++j)
        if (j == i - 1)
          w.helper_fd = worker_helper_fds[j];
        else
          ::close(worker_helper_fds[j]);
      w.recent_logins = recent_logins;
      w.verify_pool = verify_pool;
      w.acceptors = std::move(imap_acceptors);
      w.threads = imap_thread_count(*cfg);
      w.shutdown_within = worker_within;
      w.reload = reload_services;
      w.main_pid = main_pid;
      w.signal_mask = mask_before;
      ::_exit(run_imap_worker(ctx, std::move(w)));
    }
    ctx.notify_fork(asio::io_context::fork_parent);
    if (pid < 0) {
      log::error("cannot start IMAP worker process {}: {}", i, std::strerror(errno));
      continue;
    }
    imap_workers.push_back(pid);
  }
  if (imap_processes > 1) ::pthread_sigmask(SIG_SETMASK, &mask_before, nullptr);
  for (int fd : worker_helper_fds) ::close(fd);
  if (auto st = write_pid_file(spool.dir()); !st) log::warn("cannot write the pid file: {}", st.error().detail);

  int removed = spool.remove_partial();
  if (removed > 0) log::info("removed {} partial queue file(s) left by an interrupted session", removed);

  // Committer threads also deliver at acceptance; fsyncs from several
  // threads at once are what lets the disk commit them together. The
  // deliveries at acceptance and the queue runners share the slots of
  // delivery_concurrency_limit.
  int concurrency = static_cast<int>(cfg->integer("delivery_concurrency_limit"));
  scheduler::DeliverySlots slots(concurrency);
  scheduler::AcceptanceDelivery at_acceptance(slots, spool);
  queue::Committer committer(spool, 8);
  // A .forward's addresses become a new queue file through the Committer
  // (scheduler/forward.h); every snapshot of the services gets it.
  auto forwarder = std::make_shared<const scheduler::Forwarder>(spool, committer);
  auto with_forwarder = [&](const std::shared_ptr<const scheduler::DeliveryServices>& d) {
    auto out = std::make_shared<scheduler::DeliveryServices>(*d);
    out->forwarder = forwarder;
    return std::shared_ptr<const scheduler::DeliveryServices>(std::move(out));
  };
  at_acceptance.set_services(with_forwarder(services->delivery));
  scheduler::Scheduler sched(spool, concurrency, slots);
  sched.set_services(with_forwarder(services->delivery));
  committer.set_sink(&sched);
  committer.set_immediate(&at_acceptance);
  at_acceptance.set_committer(&committer);
  sched.set_committer(&committer);
  smtp::SmtpServer server(ctx, spool, committer);
  server.set_services(services->smtp);
  // The resolver for client names (smtpd_peername_lookup); made after the
  // privilege drop, so libunbound's thread never runs as root.
  auto make_resolver = [&ctx](const config::Config& c) -> Result<std::shared_ptr<dns::Resolver>> {
    if (!c.boolean("smtpd_peername_lookup")) return std::shared_ptr<dns::Resolver>();
    return dns::make_resolver(ctx.get_executor(), c);
  };
  if (auto r = make_resolver(*cfg); r) {
    server.set_resolver(*r);
  } else if (r.error().is_permanent()) {
    return startup_failure(*cfg, 78, r.error().detail);
  } else {
    log::warn("client names will not be looked up: {}", r.error().detail);
  }
  for (auto& [acc, kind] : acceptors) server.listen(std::move(acc), kind);
  // POP3 counts failed logins in the SMTP server's table: a guesser is
  // slowed whichever protocol it tries.
  pop3::Pop3Server pop3_server(ctx, server.auth_failures(), recent_logins.get());
  pop3_server.set_services(services->pop3);
  for (auto& [acc, implicit_tls] : pop3_acceptors) pop3_server.listen(std::move(acc), implicit_tls);
  imap::ImapServer imap_server(ctx, server.auth_failures(), recent_logins.get(), imap_thread_count(*cfg));
  imap_server.set_services(services->imap);
  for (auto& [acc, implicit_tls] : imap_acceptors) imap_server.listen(std::move(acc), implicit_tls);
  SubmitListener submit(ctx, spool, committer, server);
  if (auto st = submit.start(); !st) log::warn("{}", st.error().detail);
  // `tern queue flush` and release ask here (roles/control.h), never by signal.
  ControlListener control(ctx, spool.dir(), [&](const ControlAnswer& a) {
    if (!a.site.empty()) return sched.flush_site(a.site);
    if (!a.requeue.empty() && a.requeue != "ALL") return sched.requeue(a.requeue);
    // Released messages are in active/ but unknown to the scheduler.
    sched.adopt(spool.list(queue::Area::active));
    if (a.requeue == "ALL") return sched.requeue_all();
    sched.flush();
  });
  if (auto st = control.start(); !st) log::warn("{}", st.error().detail);
  sched.start();
  log::info("daemon started -- version 0.1, configuration {}", opt.demo ? "(embedded demo)" : opt.config_path);

  asio::signal_set signals(ctx, SIGTERM, SIGINT, SIGHUP);
  signals.add(SIGUSR1);
  ::signal(SIGPIPE, SIG_IGN);
  asio::steady_timer shutdown_timer(ctx);
  std::unique_ptr<ShutdownGuard> guard;
  // After SIGTERM: sessions answer 421 and close, the queue runners start
  // nothing new, deliveries in progress go on. The loop stops when the
  // sessions are gone, or when the guard cuts everything short before
  // shutdown_timeout; the Committer and the scheduler are then joined
  // (each wait bounded by the guard).
  std::function<void(const asio::error_code&)> wait_sessions = [&](const asio::error_code&) {
    if ((server.session_count() == 0 && pop3_server.session_count() == 0 && imap_server.session_count() == 0) ||
        std::chrono::steady_clock::now() >= guard->cut_short_at()) {
      ctx.stop();
      return;
    }
    shutdown_timer.expires_after(std::chrono::milliseconds(50));
    shutdown_timer.async_wait(wait_sessions);
  };
  std::function<void(const asio::error_code&, int)> on_signal;
  on_signal = [&](const asio::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      std::string errs;
      auto fresh = load(opt, errs);
      auto built = fresh ? build_services(fresh, helper, recent_logins, verify_pool, &*services)
                         : Result<ServiceSet>(Error::perm(errs));
      if (!built) {
        log::error("reload failed, keeping the running configuration: {}", built.error().detail);
      } else {
        services = *built;
        apply_store_settings(*fresh);
        server.set_services(built->smtp);
        pop3_server.set_services(built->pop3);
        imap_server.set_services(built->imap);
        if (auto r = make_resolver(*fresh); r)
          server.set_resolver(*r);
        else
          log::warn("resolver not reloaded, client names are looked up as before: {}", r.error().detail);
        sched.set_services(with_forwarder(built->delivery));
        at_acceptance.set_services(with_forwarder(built->delivery));
        if (helper) helper->request_reload();
        log::info("reload -- configuration and tables reloaded");
      }
      for (pid_t w : imap_workers) ::kill(w, SIGHUP);  // each reloads on its own
    } else if (sig == SIGUSR1) {
      sched.adopt(spool.list(queue::Area::active));
      sched.flush();
      log::info("queue flush requested");
    } else {
      log::info("terminating on signal {}", sig);
      // At least a second, for the 421 replies and the commits in progress.
      auto timeout = std::chrono::seconds(std::max(1LL, static_cast<long long>(cfg->seconds("shutdown_timeout"))));
      guard = std::make_unique<ShutdownGuard>(timeout, [helper, &sched] {
        child::cancel_all();
        sched.abandon_waiting();
        if (helper) helper->close();
      });
      for (pid_t w : imap_workers) ::kill(w, SIGTERM);
      server.shutdown();
      pop3_server.shutdown();
      imap_server.shutdown();
      submit.stop();
      sched.request_stop();
      wait_sessions({});
      return;
    }
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);
  // A worker that dies on its own is reaped and logged (not started again:
  // roles/imap_worker.h).
  asio::steady_timer worker_check(ctx);
  std::function<void(const asio::error_code&)> check_workers = [&](const asio::error_code& ec) {
    if (ec || imap_workers.empty() || guard) return;  // guard: shutting down, reaped below
    std::erase_if(imap_workers, [](pid_t w) {
      int status = 0;
      if (::waitpid(w, &status, WNOHANG) != w) return false;
      log::error("IMAP worker process (pid {}) ended {} {}; the other IMAP processes take its connections", w,
                 WIFSIGNALED(status) ? "by signal" : "with status",
                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
      return true;
    });
    worker_check.expires_after(std::chrono::seconds(1));
    worker_check.async_wait(check_workers);
  };
  check_workers({});
  ctx.run();
  // The workers end their sessions as this process did (each before the
  // guard's cut); any left then are killed, all at once, and reaped.
  const auto workers_deadline = guard ? guard->cut_short_at() : std::chrono::steady_clock::now();
  for (pid_t w : imap_workers)
    if (!guard) ::kill(w, SIGTERM);
  while (!imap_workers.empty() && std::chrono::steady_clock::now() < workers_deadline) {
    std::erase_if(imap_workers, [](pid_t w) { return ::waitpid(w, nullptr, WNOHANG) == w; });
    if (!imap_workers.empty()) ::usleep(20000);
  }
  for (pid_t w : imap_workers) ::kill(w, SIGKILL);
  for (pid_t w : imap_workers) ::waitpid(w, nullptr, 0);
  committer.stop();
  sched.stop();
  control.stop();
  guard.reset();
  ::unlink(pidf.c_str());
  log::info("daemon stopped");
  return 0;
}

}  // namespace tern::roles
