// The administrator's commands, one function each, called by dispatch.cpp.
// Each takes the -c path ("" = $TERN_CONFIG or /etc/tern/main.cf) and
// returns a process exit status (sysexits.h values where sendmail has them).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"

namespace tern::cli {

// Loads the configuration, printing diagnostics; null on errors.
std::shared_ptr<const config::Config> load_config(const std::string& path, bool quiet_warnings = false);

int cmd_check(const std::string& path);
int cmd_config(const std::string& path, const std::vector<std::string>& names, bool only_set);

int cmd_queue_list(const std::string& path);  // mailq
int cmd_queue_show(const std::string& path, const std::string& id);
int cmd_queue_delete(const std::string& path, const std::vector<std::string>& ids);
int cmd_queue_hold(const std::string& path, const std::vector<std::string>& ids, bool hold);
int cmd_queue_flush(const std::string& path);  // runq

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
