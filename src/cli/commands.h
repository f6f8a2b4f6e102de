// The administrator's commands, one function each, called by dispatch.cpp.
// Each takes the -c path ("" = $TERN_CONFIG or /etc/tern/main.cf) and
// returns a process exit status (sysexits.h values where sendmail has them).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli/queue_args_parse.h"
#include "config/config.h"

namespace tern::cli {

// Loads the configuration, printing diagnostics; null on errors.
std::shared_ptr<const config::Config> load_config(const std::string& path, bool quiet_warnings = false);

int cmd_check(const std::string& path);
int cmd_config(const std::string& path, const std::vector<std::string>& names, bool only_set);

// Queue tools (cmd_queue.cpp). prog names the tool in messages ("tern",
// "postsuper"...); json prints JSON lines instead of text. path may also be
// a Postfix-style configuration directory (postqueue -c /etc/tern).
int cmd_queue_list(const std::string& path, bool json = false, const char* prog = "tern");  // mailq
int cmd_queue_show(const std::string& path, const std::string& id, bool json = false);
// postsuper's -d/-h/-H/-r, in order; queues restricts them (and ALL) to the
// named queues (postsuper -d ALL deferred).
int cmd_queue_act(const std::string& path, const std::vector<QueueOp>& ops, const std::vector<std::string>& queues,
                  bool json = false, const char* prog = "tern");
// runq, postqueue -f; with a site, postqueue -s site.
int cmd_queue_flush(const std::string& path, const std::string& site = "", bool json = false,
                    const char* prog = "tern");
// The postqueue(1) and postsuper(1) personalities (postfix_tools.cpp).
int postqueue_main(int argc, char** argv);
int postsuper_main(int argc, char** argv);

int cmd_user_add(const std::string& path, const std::string& address, bool password_stdin);
int cmd_user_del(const std::string& path, const std::string& address);
int cmd_user_passwd(const std::string& path, const std::string& address, bool password_stdin);
int cmd_user_list(const std::string& path);

int cmd_map_build(const std::string& file, bool aliases);
int cmd_newaliases(const std::string& path);

// The sendmail(1) personality: its own option syntax (-t -i -oi -f -F ...).
int sendmail_main(int argc, char** argv);
// `sendmail -bs`: SMTP on standard input/output (sendmail_bs.cpp).
int sendmail_bs(const config::Config& cfg);

}  // namespace tern::cli
