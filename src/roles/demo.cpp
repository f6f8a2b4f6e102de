// The demo state behind the README's first command: ./var with a demo
// account, an aliases file and a self-signed certificate (so that STARTTLS
// and port 2465 work out of the box), created only if missing, never
// overwritten.
#include <cstdio>

#include "auth/user_db.h"
#include "base/fs.h"
#include "base/log.h"
#include "roles/serve.h"
#include "tls/self_signed.h"

namespace tern::roles {

int prepare_demo_state() {
  for (const char* d : {"./var", "./var/mail", "./var/queue", "./var/tls"}) {
    if (auto st = fs::make_dirs(d, 0700); !st) {
      log::error("{}", st.error().detail);
      return 1;
    }
  }
  if (!fs::exists("./var/aliases")) {
    auto st = fs::write_file_atomic("./var/aliases",
                                    "# aliases(5) for the demo: name: address, |command, /file, :include:/path\n"
                                    "postmaster: demo@demo.test\n",
                                    0644);
    if (!st) return 1;
  }
  if (!fs::exists("./var/tls/key.pem") || !fs::exists("./var/tls/cert.pem")) {
    // The same paths as the embedded demo configuration (config/demo.cpp).
    if (auto st = tls::make_self_signed("mail.demo.test", "./var/tls/cert.pem", "./var/tls/key.pem"); !st) {
      log::error("demo certificate: {}", st.error().detail);
      return 1;
    }
    log::info("self-signed certificate for mail.demo.test created in ./var/tls (key mode 0600)");
  }
  if (!fs::exists("./var/users")) {
    auto db = auth::UserDb::open("passwd-file:./var/users");
    auto hash = auth::hash_password("demo");
    if (!db || !hash) return 1;
    auth::User u;
    u.address = "demo@demo.test";
    u.password = *hash;
    if (auto st = (*db)->add(u); !st) {
      log::error("demo account: {}", st.error().detail);
      return 1;
    }
    log::info("demo account demo@demo.test (password: demo) created in ./var/users");
  }
  return 0;
}

}  // namespace tern::roles
