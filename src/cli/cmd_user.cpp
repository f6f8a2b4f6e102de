// `tern user add|del|passwd|list`: accounts in user_database (Dovecot's
// passwd-file format). Passwords come from standard input
// (--password-stdin, first line) or a prompt without echo. A name that
// cannot be a mailbox name (mail/account_name.h) is refused (exit 64).
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "auth/user_db.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "mail/account_name.h"
#include "mail/address.h"

namespace tern::cli {

namespace {

std::shared_ptr<auth::UserDb> open_db(const std::string& path) {
  auto cfg = load_config(path, true);
  if (!cfg) return nullptr;
  std::string spec = cfg->get("user_database");
  if (spec.empty()) {
    std::fprintf(stderr, "tern: user_database is not set in %s (e.g. user_database = passwd-file:/etc/tern/users)\n",
                 cfg->path().c_str());
    return nullptr;
  }
  auto db = auth::UserDb::open(spec);
  if (!db) {
    std::fprintf(stderr, "tern: %s\n", db.error().detail.c_str());
    return nullptr;
  }
  return *db;
}

bool read_password(bool from_stdin, std::string& out) {
  if (!from_stdin && ::isatty(0)) {
    struct termios old {}, quiet {};
    ::tcgetattr(0, &old);
    quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(0, TCSANOW, &quiet);
    std::fprintf(stderr, "Password: ");
    std::getline(std::cin, out);
    ::tcsetattr(0, TCSANOW, &old);
    std::fprintf(stderr, "\n");
  } else {
    std::getline(std::cin, out);
  }
  if (!out.empty() && out.back() == '\r') out.pop_back();
  if (out.empty()) {
    std::fprintf(stderr, "tern: empty password refused\n");
    return false;
  }
  return true;
}

bool valid_account(const std::string& address) {
  mail::PathOptions po;
  po.require_brackets = false;
  po.allow_utf8 = true;
  auto a = mail::parse_path(address, po);
  return a && address.find(':') == std::string::npos;
}

}  // namespace

int cmd_user_add(const std::string& path, const std::string& address, bool password_stdin) {
  if (!valid_account(address)) {
    std::fprintf(stderr, "tern: '%s' is not an address of the form user@domain\n", str::printable(address).c_str());
    return 64;
  }
  if (Status st = mail::check_account_name(address); !st) {
    std::fprintf(stderr, "tern: %s\n", st.error().detail.c_str());
    return 64;
  }
  auto db = open_db(path);
  if (!db) return 78;
  std::string pw;
  if (!read_password(password_stdin, pw)) return 65;
  auto hash = auth::hash_password(pw);
  if (!hash) {
    std::fprintf(stderr, "tern: %s\n", hash.error().detail.c_str());
    return 70;
  }
  auth::User u;
  u.address = str::lower(address);
  u.password = *hash;
  auto st = db->add(u);
  if (!st) {
    std::fprintf(stderr, "tern: %s\n", st.error().detail.c_str());
    return 65;
  }
  return 0;
}

int cmd_user_del(const std::string& path, const std::string& address) {
  auto db = open_db(path);
  if (!db) return 78;
  auto st = db->remove(str::lower(address));
  if (!st) {
    std::fprintf(stderr, "tern: %s\n", st.error().detail.c_str());
    return 67;
  }
  return 0;
}

int cmd_user_passwd(const std::string& path, const std::string& address, bool password_stdin) {
  auto db = open_db(path);
  if (!db) return 78;
  if (!db->find(address)) {
    std::fprintf(stderr, "tern: no such account: %s\n", str::printable(address).c_str());
    return 67;
  }
  std::string pw;
  if (!read_password(password_stdin, pw)) return 65;
  auto hash = auth::hash_password(pw);
  if (!hash) return 70;
  auto st = db->set_password(str::lower(address), *hash);
  if (!st) {
    std::fprintf(stderr, "tern: %s\n", st.error().detail.c_str());
    return 67;
  }
  return 0;
}

int cmd_user_list(const std::string& path) {
  auto db = open_db(path);
  if (!db) return 78;
  for (auto& u : db->users()) std::printf("%s\n", u.address.c_str());
  return 0;
}

}  // namespace tern::cli
