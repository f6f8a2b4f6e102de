// Queue tools: `tern queue list|show|delete|hold|release|requeue|flush`,
// mailq, runq, and the verbs behind postqueue(1) and postsuper(1)
// (postfix_tools.cpp reads their argv). They work on the queue directory
// directly, so they work whether or not the daemon runs; flush, release and
// requeue then ask the daemon over its control socket (roles/control.h).
//
// SECURITY: the queue holds other users' mail. Only root and the queue's
// owner (mail_owner) may list, read or change it; anyone else is refused
// (exit 77) before a file is opened. No pid is ever read or signalled: the
// pid file is in a directory mail_owner can write. Every queue ID is
// checked (queue_args_parse.h) before a path is made from it.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/daemon_socket.h"
#include "cli/queue_format.h"
#include "queue/listing.h"
#include "queue/reader.h"
#include "queue/spool.h"
#include "roles/control.h"

namespace tern::cli {

namespace {

constexpr int kExitNoPerm = 77;  // EX_NOPERM

// A Postfix-style -c config_dir names the directory of main.cf.
std::string config_file(const std::string& path) {
  struct stat st;
  if (!path.empty() && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return fs::join(path, "main.cf");
  return path;
}

// The configured queue if this user may use it; otherwise prints why, sets
// rc and returns nothing.
std::optional<queue::Spool> open_queue(const std::string& path, int& rc, const char* prog) {
  auto cfg = load_config(config_file(path), true);
  if (!cfg) {
    rc = 78;
    return std::nullopt;
  }
  queue::Spool spool(cfg->get("queue_directory"));
  struct stat st;
  uid_t me = ::geteuid();
  if (me != 0 && ::stat(spool.dir().c_str(), &st) == 0 && st.st_uid != me) {
    std::fprintf(stderr, "%s: permission denied: only root and the owner of %s may read or change the queue\n", prog,
                 spool.dir().c_str());
    rc = kExitNoPerm;
    return std::nullopt;
  }
  return spool;
}

// Sends one request to the daemon; prints why not and returns the exit code.
int ask(const queue::Spool& spool, const std::string& request, const char* prog, bool quiet_if_down = false) {
  bool no_daemon = false;
  auto r = ask_daemon(roles::control_socket_path(spool.dir()), request, no_daemon);
  if (r) return 0;
  if (no_daemon) {
    if (!quiet_if_down)
      std::fprintf(stderr, "%s: the mail system is not running; queued mail is delivered when it starts\n", prog);
    return 75;
  }
  std::fprintf(stderr, "%s: %s\n", prog, r.error().detail.c_str());
  return r.error().is_permanent() ? kExitNoPerm : 75;
}

const char* verb_name(QueueOp::Verb v) {
  switch (v) {
    case QueueOp::remove: return "delete";
    case QueueOp::hold: return "hold";
    case QueueOp::release: return "release";
    case QueueOp::requeue: return "requeue";
  }
  return "?";
}

// Which queues ALL means for a verb (before the command's own queue names).
bool eligible(QueueOp::Verb v, const std::string& queue_name) {
  switch (v) {
    case QueueOp::remove: return true;
    case QueueOp::hold: return queue_name == "active" || queue_name == "deferred";
    case QueueOp::release: return queue_name == "hold";
    case QueueOp::requeue: return queue_name != "corrupt";
  }
  return false;
}

std::string json_ids(const std::vector<std::string>& ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? ", " : "") + json_string(ids[i]);
  return out + "]";
}

}  // namespace

int cmd_queue_list(const std::string& path, bool json, const char* prog) {
  int rc = 0;
  auto opened = open_queue(path, rc, prog);
  if (!opened) return rc;
  MailqFormatter text;
  std::string out;
  auto emit = [&](bool force) {
    if (out.size() >= (1u << 16) || (force && !out.empty())) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  };
  queue::scan_queue(*opened, [&](const queue::ListedMessage& m) {
    out += json ? json_message(m) + "\n" : text.add(m);
    emit(false);
    return true;
  });
  if (!json) out += text.summary();
  emit(true);
  std::fflush(stdout);
  return 0;
}

int cmd_queue_show(const std::string& path, const std::string& id, bool json) {
  int rc = 0;
  auto opened = open_queue(path, rc, "tern");
  if (!opened) return rc;
  const queue::Spool& spool = *opened;
  auto area = spool.locate(id);
  if (!area) {
    std::fprintf(stderr, "tern: %s\n", str::printable(area.error().detail).c_str());
    return 67;
  }
  auto p = spool.path(*area, id);
  auto env = queue::read_envelope(p, id);
  if (!env) {
    std::fprintf(stderr, "tern: %s: %s\n", id.c_str(), env.error().detail.c_str());
    return 65;
  }
  auto content = queue::read_content(p, *env);
  if (json) {
    std::string out = fmt::format(
        R"({{"queue_id": {}, "arrival_time": {}, "client": {}, "helo": {}, "protocol": {}, "sender": {}, "recipients": [)",
        json_string(id), static_cast<long long>(env->arrival), json_string(env->client), json_string(env->helo),
        json_string(env->protocol), json_string(env->sender));
    for (size_t i = 0; i < env->recipients.size(); ++i)
      out += fmt::format(R"({}{{"address": {}, "done": {}}})", i ? ", " : "", json_string(env->recipients[i].address),
                         env->recipients[i].done ? "true" : "false");
    out += "], \"content\": " + json_string(content ? *content : std::string()) + "}\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }
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

int cmd_queue_act(const std::string& path, const std::vector<QueueOp>& ops, const std::vector<std::string>& queues,
                  bool json, const char* prog) {
  for (auto& op : ops)
    if (!valid_op_id(op.id)) {
      std::fprintf(stderr, "%s: not a queue ID: %s\n", prog, str::printable(op.id, 80).c_str());
      return 64;
    }
  for (auto& q : queues)
    if (!queue::is_queue_name(q)) {
      std::fprintf(stderr, "%s: not a queue name: %s\n", prog, str::printable(q, 80).c_str());
      return 64;
    }
  int rc = 0;
  auto opened = open_queue(path, rc, prog);
  if (!opened) return rc;
  const queue::Spool& spool = *opened;

  std::vector<std::string> stdin_ids;
  bool any_stdin = false, any_all = false;
  for (auto& op : ops) any_stdin |= op.id == "-", any_all |= op.id == "ALL";
  if (any_stdin) {
    std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    std::string error;
    if (int r = read_queue_ids(text, stdin_ids, error); r != 0) {
      std::fprintf(stderr, "%s: %s\n", prog, error.c_str());
      return r;
    }
  }
  // Queue names come from the directories alone; only read when needed.
  std::vector<queue::QueuedId> all;
  std::map<std::string, std::string> name_of;
  if (any_all || !queues.empty()) {
    all = queue::queued_ids(spool);
    for (auto& q : all) name_of[q.id] = q.queue_name;
  }
  auto in_named_queues = [&](const std::string& id) {
    if (queues.empty()) return true;
    auto it = name_of.find(id);
    if (it == name_of.end()) return false;
    for (auto& q : queues)
      if (q == it->second || (q == "incoming" && it->second == "active")) return true;
    return false;
  };

  bool release_any = false, requeue_all = false;
  std::vector<std::string> requeued;
  for (auto& op : ops) {
    std::vector<std::string> ids;
    if (op.id == "ALL") {
      for (auto& q : all)
        if (eligible(op.verb, q.queue_name) && in_named_queues(q.id)) ids.push_back(q.id);
    } else if (op.id == "-") {
      ids = stdin_ids;
    } else {
      ids = {op.id};
    }
    std::vector<std::string> done, missing;
    for (auto& id : ids) {
      Status st = ok_status();
      if (!in_named_queues(id)) {
        st = Error::perm("not in the named queues");
      } else if (op.verb == QueueOp::remove) {
        st = spool.remove(id);
      } else if (op.verb == QueueOp::hold) {
        st = spool.move(id, queue::Area::active, queue::Area::hold);
      } else if (op.verb == QueueOp::release) {
        st = spool.move(id, queue::Area::hold, queue::Area::active);
      } else {
        auto where = spool.locate(id);
        if (where && *where == queue::Area::hold) st = spool.move(id, queue::Area::hold, queue::Area::active);
        else if (!where || *where != queue::Area::active) st = Error::perm("not queued");
      }
      (st ? done : missing).push_back(id);
      if (!json && st) {
        static const char* said[] = {"removed", "placed on hold", "released from hold", "requeued"};
        std::fprintf(stderr, "%s: %s: %s\n", prog, id.c_str(), said[op.verb]);
      }
    }
    if (!missing.empty()) rc = 67;
    if (op.verb == QueueOp::release && !done.empty()) release_any = true;
    if (op.verb == QueueOp::requeue) {
      requeue_all |= op.id == "ALL";
      requeued.insert(requeued.end(), done.begin(), done.end());
    }
    if (json) {
      std::printf("{\"action\": \"%s\", \"count\": %zu, \"ids\": %s, \"missing\": %s}\n", verb_name(op.verb),
                  done.size(), json_ids(done).c_str(), json_ids(missing).c_str());
    } else {
      for (auto& id : missing)
        std::fprintf(stderr, "%s: %s: no such message in the %s\n", prog, id.c_str(),
                     op.verb == QueueOp::hold      ? "active queue"
                     : op.verb == QueueOp::release ? "hold queue"
                     : queues.empty()              ? "queue"
                                                   : "named queues");
      static const char* total[] = {"Deleted", "Placed on hold", "Released from hold", "Requeued"};
      std::fprintf(stderr, "%s: %s: %zu message%s\n", prog, total[op.verb], done.size(),
                   done.size() == 1 ? "" : "s");
    }
  }
  // The daemon learns of requeued and released mail now; one that is not
  // running tries all of active/ when it starts.
  if (requeue_all) {
    (void)ask(spool, "requeue ALL\n", prog, true);
  } else {
    for (auto& id : requeued)
      if (ask(spool, "requeue " + id + "\n", prog, true) == 75) break;
  }
  if (release_any && !requeue_all) (void)ask(spool, "flush\n", prog, true);
  std::fflush(stdout);
  return rc;
}

int cmd_queue_flush(const std::string& path, const std::string& site, bool json, const char* prog) {
  if (!site.empty() && !queue::valid_site(site)) {
    std::fprintf(stderr, "%s: not a domain name: %s\n", prog, str::printable(site, 80).c_str());
    return 64;
  }
  // The daemon decides who may flush (SO_PEERCRED), as for runq.
  auto cfg = load_config(config_file(path), true);
  if (!cfg) return 78;
  int rc = ask(queue::Spool(cfg->get("queue_directory")), site.empty() ? std::string("flush\n") : "flush site " + str::lower(site) + "\n", prog);
  if (json)
    std::printf("{\"action\": \"flush\", \"site\": %s, \"ok\": %s}\n", json_string(site).c_str(),
                rc == 0 ? "true" : "false");
  return rc;
}

}  // namespace tern::cli
