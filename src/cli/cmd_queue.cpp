// Queue tools: `tern queue list|show|delete|hold|release|flush`, mailq and
// runq. They work on the queue directory directly, so they work whether or
// not the daemon runs; flush and release then ask the daemon over its
// control socket (roles/control.h) to try the queue now.
//
// SECURITY: the queue holds other users' mail. Only root and the queue's
// owner (mail_owner) may list, read or change it; anyone else is refused
// (exit 77) before a file is opened. No pid is ever read or signalled: the
// pid file is in a directory mail_owner can write.
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/daemon_socket.h"
#include "queue/reader.h"
#include "queue/spool.h"
#include "roles/control.h"

namespace tern::cli {

namespace {

constexpr int kExitNoPerm = 77;  // EX_NOPERM

// The configured queue if this user may use it; otherwise prints why, sets
// rc and returns nothing.
std::optional<queue::Spool> open_queue(const std::string& path, int& rc) {
  auto cfg = load_config(path, true);
  if (!cfg) {
    rc = 78;
    return std::nullopt;
  }
  queue::Spool spool(cfg->get("queue_directory"));
  struct stat st;
  uid_t me = ::geteuid();
  if (me != 0 && ::stat(spool.dir().c_str(), &st) == 0 && st.st_uid != me) {
    std::fprintf(stderr, "tern: permission denied: only root and the owner of %s may read or change the queue\n",
                 spool.dir().c_str());
    rc = kExitNoPerm;
    return std::nullopt;
  }
  return spool;
}

// Asks the daemon to try every queued message now; prints why not and
// returns the exit code.
int flush_daemon(const queue::Spool& spool) {
  bool no_daemon = false;
  auto r = ask_daemon(roles::control_socket_path(spool.dir()), "flush\n", no_daemon);
  if (r) return 0;
  if (no_daemon) {
    std::fprintf(stderr, "tern: the mail system is not running; queued mail is delivered when it starts\n");
    return 75;
  }
  std::fprintf(stderr, "tern: %s\n", r.error().detail.c_str());
  return r.error().is_permanent() ? kExitNoPerm : 75;
}

std::vector<std::string> expand_ids(const queue::Spool& spool, const std::vector<std::string>& ids, queue::Area area) {
  if (ids.size() == 1 && ids[0] == "ALL") return spool.list(area);
  return ids;
}

}  // namespace

int cmd_queue_list(const std::string& path) {
  int rc = 0;
  auto opened = open_queue(path, rc);
  if (!opened) return rc;
  const queue::Spool& spool = *opened;
  size_t count = 0;
  uint64_t bytes = 0;
  std::string out;
  for (auto area : {queue::Area::active, queue::Area::hold, queue::Area::corrupt}) {
    for (auto& id : spool.list(area)) {
      auto env = queue::read_envelope(spool.path(area, id), id);
      char mark = area == queue::Area::hold ? '!' : area == queue::Area::corrupt ? '#' : ' ';
      if (!env) {
        out += fmt::format("{}{} (unreadable: {})\n\n", id, mark, env.error().detail);
        continue;
      }
      ++count;
      bytes += env->content_size;
      char date[64];
      struct tm tm;
      ::localtime_r(&env->arrival, &tm);
      ::strftime(date, sizeof date, "%a %b %e %H:%M:%S", &tm);
      out += fmt::format("{}{} {:>8} {}  {}\n", id, mark, env->content_size, date,
                         env->sender.empty() ? "MAILER-DAEMON" : str::printable(env->sender));
      std::string note = spool.read_defer_note(id);
      for (auto& r : env->recipients) {
        if (r.done) continue;
        std::string prefix = str::printable(r.address) + ": ";
        for (auto& line : str::split(note, '\n'))
          if (line.rfind(prefix, 0) == 0) out += fmt::format("({})\n", line.substr(prefix.size()));
        out += fmt::format("{:>41} {}\n", "", str::printable(r.address));
      }
      out += "\n";
    }
  }
  if (count == 0 && out.empty()) {
    std::printf("Mail queue is empty\n");
    return 0;
  }
  std::printf("-Queue ID-        --Size-- ----Arrival Time---- -Sender/Recipient-------\n%s", out.c_str());
  std::printf("-- %llu Kbytes in %zu Request%s.\n", static_cast<unsigned long long>((bytes + 1023) / 1024), count,
              count == 1 ? "" : "s");
  return 0;
}

int cmd_queue_show(const std::string& path, const std::string& id) {
  int rc = 0;
  auto opened = open_queue(path, rc);
  if (!opened) return rc;
  const queue::Spool& spool = *opened;
  auto area = spool.locate(id);
  if (!area) {
    std::fprintf(stderr, "tern: %s\n", area.error().detail.c_str());
    return 67;
  }
  auto p = spool.path(*area, id);
  auto env = queue::read_envelope(p, id);
  if (!env) {
    std::fprintf(stderr, "tern: %s: %s\n", id.c_str(), env.error().detail.c_str());
    return 65;
  }
  auto content = queue::read_content(p, *env);
  std::printf("*** ENVELOPE RECORDS %s ***\n", id.c_str());
  std::printf("arrival_time: %lld\n", static_cast<long long>(env->arrival));
  std::printf("client: %s\nhelo: %s\nprotocol: %s\n", str::escape_log(env->client).c_str(),
              str::escape_log(env->helo).c_str(), str::escape_log(env->protocol).c_str());
  std::printf("sender: %s\n", str::escape_log(env->sender).c_str());
  // DSN parameters under postcat's names; NOTIFY bits as Postfix numbers
  // them (NEVER 1, SUCCESS 2, FAILURE 4, DELAY 8).
  if (!env->envid.empty()) std::printf("dsn_envid: %s\n", str::escape_log(env->envid).c_str());
  if (env->ret != queue::DsnRet::unspecified) std::printf("dsn_ret: %s\n", env->ret == queue::DsnRet::full ? "FULL" : "HDRS");
  if (env->origin != queue::Origin::normal)
    std::printf("origin: %s\n", env->origin == queue::Origin::bounce ? "bounce" : "double bounce");
  for (auto& r : env->recipients) {
    std::printf("%s: %s\n", r.done ? "done_recipient" : "recipient", str::escape_log(r.address).c_str());
    if (!r.orcpt.empty()) std::printf("dsn_orig_rcpt: %s\n", str::escape_log(r.orcpt).c_str());
    if (r.notify != 0) std::printf("dsn_notify: %u\n", r.notify);
  }
  std::printf("*** MESSAGE CONTENTS %s ***\n", id.c_str());
  if (content) std::fwrite(content->data(), 1, content->size(), stdout);
  std::printf("*** END OF MESSAGE ***\n");
  return 0;
}

int cmd_queue_delete(const std::string& path, const std::vector<std::string>& ids_in) {
  int rc = 0;
  auto opened = open_queue(path, rc);
  if (!opened) return rc;
  const queue::Spool& spool = *opened;
  std::vector<std::string> ids = ids_in;
  if (ids.size() == 1 && ids[0] == "ALL") {
    ids = spool.list(queue::Area::active);
    for (auto& h : spool.list(queue::Area::hold)) ids.push_back(h);
    for (auto& h : spool.list(queue::Area::corrupt)) ids.push_back(h);
  }
  int n = 0;
  for (auto& id : ids) {
    auto st = spool.remove(id);
    if (!st) {
      std::fprintf(stderr, "tern: %s\n", st.error().detail.c_str());
      rc = 67;
    } else {
      ++n;
    }
  }
  std::fprintf(stderr, "tern: Deleted: %d message%s\n", n, n == 1 ? "" : "s");
  return rc;
}

int cmd_queue_hold(const std::string& path, const std::vector<std::string>& ids, bool hold) {
  int rc = 0;
  auto opened = open_queue(path, rc);
  if (!opened) return rc;
  const queue::Spool& spool = *opened;
  auto from = hold ? queue::Area::active : queue::Area::hold;
  auto to = hold ? queue::Area::hold : queue::Area::active;
  int n = 0;
  for (auto& id : expand_ids(spool, ids, from)) {
    if (!queue::Spool::valid_id(id)) {
      std::fprintf(stderr, "tern: not a queue ID: %s\n", str::printable(id).c_str());
      rc = 64;
      continue;
    }
    auto st = spool.move(id, from, to);
    if (!st) {
      std::fprintf(stderr, "tern: %s: not in the %s queue\n", id.c_str(), hold ? "active" : "hold");
      rc = 67;
    } else {
      ++n;
    }
  }
  std::fprintf(stderr, "tern: %s: %d message%s\n", hold ? "Placed on hold" : "Released from hold", n, n == 1 ? "" : "s");
  if (!hold && n > 0) (void)flush_daemon(spool);  // a daemon that is not running picks them up at start
  return rc;
}

int cmd_queue_flush(const std::string& path) {
  auto cfg = load_config(path, true);
  if (!cfg) return 78;
  return flush_daemon(queue::Spool(cfg->get("queue_directory")));
}

}  // namespace tern::cli
