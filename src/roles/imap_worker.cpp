// An IMAP worker process's life (see imap_worker.h).
#include "roles/imap_worker.h"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include "base/log.h"
#include "imap/server/server.h"
#include "roles/local_helper.h"
#include "roles/password_verifier.h"
#include "sasl/auth_failures.h"

namespace tern::roles {

int run_imap_worker(asio::io_context& ctx, ImapWorkerSetup setup) {
  // The main process's death ends the worker too, also by kill -9 (and if
  // it died before this line, the worker already has another parent).
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != setup.main_pid) return 0;
  log::info("IMAP worker process {} started", setup.index);

  std::shared_ptr<HelperLink> helper;
  if (setup.helper_fd >= 0) helper = std::make_shared<HelperLink>(setup.helper_fd);
  sasl::AuthFailures failures;
  int rc = 0;
  {
    imap::ImapServer server(ctx, failures, setup.recent_logins.get(), setup.threads);
    server.set_services(setup.services.imap);
    for (auto& [acc, implicit_tls] : setup.acceptors) server.listen(std::move(acc), implicit_tls);

    asio::signal_set signals(ctx, SIGTERM, SIGINT, SIGHUP);
    ::signal(SIGPIPE, SIG_IGN);
    ::signal(SIGUSR1, SIG_IGN);  // the main process's queue flush; nothing to do here
    // Blocked by the main process around the fork: now they have handlers.
    ::pthread_sigmask(SIG_SETMASK, &setup.signal_mask, nullptr);
    asio::steady_timer wait_timer(ctx);
    std::chrono::steady_clock::time_point deadline;
    std::function<void(const asio::error_code&)> wait_sessions = [&](const asio::error_code&) {
      if (server.session_count() == 0 || std::chrono::steady_clock::now() >= deadline) {
        ctx.stop();
        return;
      }
      wait_timer.expires_after(std::chrono::milliseconds(50));
      wait_timer.async_wait(wait_sessions);
    };
    std::function<void(const asio::error_code&, int)> on_signal = [&](const asio::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        auto built = setup.reload(helper, setup.services);
        if (!built) {
          log::error("IMAP worker process {}: reload failed, keeping the running configuration: {}", setup.index,
                     built.error().detail);
        } else {
          setup.services = *built;
          server.set_services(built->imap);
          if (helper) helper->request_reload();
          log::info("IMAP worker process {}: configuration reloaded", setup.index);
        }
        signals.async_wait(on_signal);
        return;
      }
      deadline = std::chrono::steady_clock::now() + setup.shutdown_within;
      server.shutdown();
      wait_sessions({});
    };
    signals.async_wait(on_signal);
    try {
      ctx.run();
    } catch (const std::exception& e) {
      log::error("IMAP worker process {}: {}", setup.index, e.what());
      rc = 70;  // EX_SOFTWARE
    }
    // The server's loops end (and their sessions with them) before the
    // password checks that post to them.
  }
  if (setup.verify_pool) setup.verify_pool->stop();
  if (helper) helper->close();
  log::info("IMAP worker process {} stopped", setup.index);
  return rc;
}

}  // namespace tern::roles
