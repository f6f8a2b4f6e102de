// Command-line dispatch for the multi-call binary (see dispatch.h). CLI11
// parses `tern ...`; the sendmail personality has its own parser because
// sendmail's option syntax (-oi, -bp, -F name, -- addresses) predates
// getopt conventions and CLI11 cannot express it.
#include "cli/dispatch.h"

#include <CLI/CLI.hpp>
#include <string>

#include "base/fs.h"
#include "cli/cmd_dns.h"
#include "cli/commands.h"
#include "queue/listing.h"
#include "roles/serve.h"

namespace tern::cli {

int dispatch(int argc, char** argv) {
  std::string self = fs::basename(argc > 0 ? argv[0] : "tern");
  if (self == "sendmail") return sendmail_main(argc, argv);
  if (self == "mailq") return cmd_queue_list("");
  if (self == "newaliases") return cmd_newaliases("");
  if (self == "runq") return cmd_queue_flush("");
  if (self == "postqueue") return postqueue_main(argc, argv);
  if (self == "postsuper") return postsuper_main(argc, argv);

  CLI::App app{"tern: a mail server (SMTP, queue, local delivery)", "tern"};
  app.require_subcommand(1);
  // Every subcommand made below inherits fallthrough: an option it does not
  // know (-c FILE) is matched by its parent, so `tern serve -c FILE` and
  // `tern queue list -c FILE` work as well as `tern -c FILE serve`.
  app.fallthrough();
  std::string config_path;
  app.add_option("-c,--config", config_path, "configuration file (default: $TERN_CONFIG, else /etc/tern/main.cf)");

  auto* serve = app.add_subcommand("serve", "run the mail server in the foreground");
  bool demo = false;
  serve->add_flag("--demo", demo, "use the embedded demo configuration (state under ./var)");

  auto* check = app.add_subcommand("check", "validate the configuration and the tables it names");
  auto* cfg = app.add_subcommand("config", "print parameters (like postconf)");
  std::vector<std::string> names;
  bool only_set = false;
  cfg->add_option("name", names, "parameter names");
  cfg->add_flag("-n", only_set, "only parameters set in the file");

  auto* queue = app.add_subcommand("queue", "inspect and manage the mail queue");
  queue->require_subcommand(1);
  // Every verb takes --json (JSON lines on stdout, as postqueue -j). delete,
  // hold, release and requeue take IDs, ALL, "-" (IDs on standard input)
  // and queue names restricting them (delete ALL deferred), as postsuper.
  bool qjson = false;
  std::string qid, qsite;
  std::vector<std::string> qargs;
  auto* qlist = queue->add_subcommand("list", "list queued messages (mailq, postqueue -p; --json: postqueue -j)");
  auto* qshow = queue->add_subcommand("show", "print a queued message");
  qshow->add_option("id", qid, "queue ID")->required();
  auto* qdel = queue->add_subcommand("delete", "delete messages (postsuper -d)");
  auto* qhold = queue->add_subcommand("hold", "put messages on hold (postsuper -h)");
  auto* qrel = queue->add_subcommand("release", "release held messages (postsuper -H)");
  auto* qreq = queue->add_subcommand("requeue", "retry now with back-off reset (postsuper -r)");
  for (auto* c : {qdel, qhold, qrel, qreq})
    c->add_option("id", qargs, "queue IDs, ALL or -, then optional queue names")->required();
  auto* qflush = queue->add_subcommand("flush", "attempt delivery of the queued mail now (postqueue -f, -s)");
  qflush->add_option("--site", qsite, "only the deferred mail for this domain (postqueue -s)");
  for (auto* c : {qlist, qshow, qdel, qhold, qrel, qreq, qflush}) c->add_flag("--json", qjson, "print JSON");

  auto* user = app.add_subcommand("user", "manage accounts in user_database");
  user->require_subcommand(1);
  std::string address;
  bool pw_stdin = false;
  auto* uadd = user->add_subcommand("add", "add an account");
  uadd->add_option("address", address, "user@domain")->required();
  uadd->add_flag("--password-stdin", pw_stdin, "read the password from standard input");
  auto* udel = user->add_subcommand("del", "delete an account");
  udel->add_option("address", address, "user@domain")->required();
  auto* upw = user->add_subcommand("passwd", "change an account's password");
  upw->add_option("address", address, "user@domain")->required();
  upw->add_flag("--password-stdin", pw_stdin, "read the password from standard input");
  auto* ulist = user->add_subcommand("list", "list accounts");

  auto* map = app.add_subcommand("map", "lookup tables");
  map->require_subcommand(1);
  std::string map_file;
  bool map_aliases = false;
  auto* mbuild = map->add_subcommand("build", "build FILE.lmdb from FILE (postmap)");
  mbuild->add_option("file", map_file, "source file")->required();
  mbuild->add_flag("--aliases", map_aliases, "the source is in aliases(5) format");
  auto* newaliases = app.add_subcommand("newaliases", "rebuild alias_database");
  DnsCommand dns(app, config_path);
  auto* sendmail = app.add_subcommand("sendmail", "the sendmail(1) interface");
  sendmail->fallthrough(false);  // its argv is its own (sendmail -C FILE)
  sendmail->allow_extras();
  sendmail->prefix_command();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (*serve) {
    roles::ServeOptions o;
    o.demo = demo;
    o.config_path = demo ? "" : config::locate(config_path);
    return roles::serve(o);
  }
  if (*check) return cmd_check(config_path);
  if (*cfg) return cmd_config(config_path, names, only_set);
  if (*qlist) return cmd_queue_list(config_path, qjson);
  if (*qshow) return cmd_queue_show(config_path, qid, qjson);
  if (*qdel || *qhold || *qrel || *qreq) {
    QueueOp::Verb verb = *qdel ? QueueOp::remove : *qhold ? QueueOp::hold : *qrel ? QueueOp::release : QueueOp::requeue;
    std::vector<QueueOp> ops;
    std::vector<std::string> queues;
    for (auto& a : qargs) {
      if (queue::is_queue_name(a)) queues.push_back(a);
      else ops.push_back({verb, a});
    }
    return cmd_queue_act(config_path, ops, queues, qjson);
  }
  if (*qflush) return cmd_queue_flush(config_path, qsite, qjson);
  if (*uadd) return cmd_user_add(config_path, address, pw_stdin);
  if (*udel) return cmd_user_del(config_path, address);
  if (*upw) return cmd_user_passwd(config_path, address, pw_stdin);
  if (*ulist) return cmd_user_list(config_path);
  if (*mbuild) return cmd_map_build(map_file, map_aliases);
  if (*newaliases) return cmd_newaliases(config_path);
  if (dns) return dns.run();
  if (*sendmail) {
    std::vector<std::string> rest = sendmail->remaining();
    std::vector<char*> av{const_cast<char*>("sendmail")};
    if (!config_path.empty()) {
      av.push_back(const_cast<char*>("-C"));
      av.push_back(config_path.data());
    }
    for (auto& s : rest) av.push_back(s.data());
    av.push_back(nullptr);
    return sendmail_main(static_cast<int>(av.size() - 1), av.data());
  }
  return 64;
}

}  // namespace tern::cli
