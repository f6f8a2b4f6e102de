// serve: the daemon. Builds every part from the configuration, wires them
// together (main() only calls this), binds the listeners, drops privileges
// when started as root, and runs until SIGTERM/SIGINT. SIGHUP reloads the
// configuration and tables without dropping sessions; SIGUSR1, like a
// "flush" on the control socket (roles/control.h, used by `tern queue
// flush` / runq), makes every queued message due now.
#pragma once

#include <string>

namespace tern::roles {

struct ServeOptions {
  std::string config_path;  // "" with demo = true
  bool demo = false;        // the embedded default configuration
};

int serve(const ServeOptions& opt);

// Prepares ./var for the demo configuration: directories, a demo account
// (demo@demo.test, password "demo") and an aliases file, if missing.
int prepare_demo_state();

}  // namespace tern::roles
