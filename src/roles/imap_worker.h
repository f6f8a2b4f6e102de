// IMAP worker processes (imap_processes > 1). Every connection holds a
// descriptor, and RLIMIT_NOFILE bounds them per process; a site whose hard
// limit is below the sessions it must hold (a container that cannot raise
// it, 50,000 IDLE clients) spreads them over processes, as Dovecot runs
// imap processes with a client_limit each. serve() forks the workers once
// the listeners are bound and privileges dropped, before any thread of its
// own starts; each worker accepts on the very IMAP sockets the main process
// accepts on (a process whose share of descriptors is spent stops
// accepting, and the others take the connections: imap/server/server.h),
// and runs its sessions on its own loops. They share nothing in memory:
// mailboxes are shared through the file system (locks, dovecot-uidlist),
// and a change made in one process reaches IDLE sessions in the others
// through inotify (store/folder_inotify.h). Per process, and so not shared
// between them: the failed-login counters, the login and message caches,
// and the POP-before-SMTP table (only logins in the main process feed it).
//
// SIGHUP (forwarded by the main process) reloads the configuration in each
// worker, certificates read through the worker's own root-side helper when
// there is one; SIGTERM ends it as it ends the main process's sessions. A
// worker dies with the main process (PR_SET_PDEATHSIG). One that dies on
// its own is logged by the main process and not started again until the
// next start of the daemon: forking again from a process whose threads run
// is not safe; the other processes go on accepting.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "base/result.h"
#include "roles/services.h"

namespace tern::roles {

class HelperLink;
class VerifyPool;

struct ImapWorkerSetup {
  size_t index = 1;  // 1 .. imap_processes-1, named in the log
  ServiceSet services;
  int helper_fd = -1;  // the worker's own link to a root-side helper; -1: none
  std::shared_ptr<policy::RecentLogins> recent_logins;
  std::shared_ptr<VerifyPool> verify_pool;
  std::vector<std::pair<asio::ip::tcp::acceptor, bool>> acceptors;  // bool: implicit TLS
  size_t threads = 0;                                               // imap_threads
  std::chrono::milliseconds shutdown_within{8500};  // after SIGTERM, sessions end within this
  pid_t main_pid = 0;                               // the process that forked it
  sigset_t signal_mask{};                           // to restore once the handlers are in
  // Loads the configuration again and builds the services (SIGHUP).
  std::function<Result<ServiceSet>(std::shared_ptr<HelperLink> helper, const ServiceSet& previous)> reload;
};

// Runs the worker on ctx (already told of the fork) until SIGTERM or
// SIGINT; returns the process's exit code. Called in the forked child only.
int run_imap_worker(asio::io_context& ctx, ImapWorkerSetup setup);

}  // namespace tern::roles
