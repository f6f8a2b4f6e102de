// Implementation of local submission (see submit_client.h).
#include "cli/submit_client.h"

#include <time.h>
#include <unistd.h>

#include "cli/daemon_socket.h"
#include "queue/spool.h"
#include "queue/writer.h"
#include "rewrite/canonical.h"
#include "roles/submit_listener.h"

namespace tern::cli {

namespace {

Result<std::string> direct(const config::Config& cfg, const queue::SubmitRequest& req) {
  queue::Spool spool(cfg.get("queue_directory"));
  (void)spool.init();  // first use before the daemon ever ran; fails harmlessly without permission
  if (::access(spool.area_dir(queue::Area::tmp).c_str(), W_OK) != 0)
    return Error::temp("the mail system is not running and the queue is not writable by this user");
  queue::Envelope env;
  env.set_arrival_now();
  env.sender = req.sender;
  for (auto& r : req.recipients) env.recipients.push_back({r, false, 0, 0, {}});
  // The same cleanup-time rewriting as the daemon's (canonical maps, masquerading).
  auto canonical = rewrite::Canonical::create(cfg);
  if (!canonical) return canonical.error();
  auto d = queue::Draft::create(spool, env, *canonical);
  if (!d) return d.error();
  std::string id = (*d)->id();
  Status st = (*d)->append(roles::local_received_header(cfg.get("myhostname"), ::getuid(), id));
  if (st) st = (*d)->append(req.content);
  if (st) st = (*d)->finish();
  if (!st) return st.error();
  queue::Committer committer(spool, 1);
  st = committer.commit_sync(std::move(*d));
  if (!st) return st.error();
  return id;
}

}  // namespace

Result<std::string> submit(const config::Config& cfg, const queue::SubmitRequest& req) {
  // The daemon checks again; this also covers writing the queue directly.
  if (auto why = roles::local_header_limit_error(cfg, req.content); !why.empty()) return Error::perm(why);
  queue::Spool spool(cfg.get("queue_directory"));
  bool no_daemon = false;
  auto r = ask_daemon(spool.socket_path(), queue::encode_submit_request(req), no_daemon);
  if (r || !no_daemon) return r;
  return direct(cfg, req);
}

}  // namespace tern::cli
