// The IMAP command table (which handler, in which states, whether "UID x"
// exists) and the commands of any state: CAPABILITY, NOOP, LOGOUT, ID
// (RFC 2971), ENABLE (RFC 5161: UTF8=ACCEPT, RFC 6855; CONDSTORE and
// QRESYNC, RFC 7162; IMAP4rev2, RFC 9051 6.3.1), and
// NAMESPACE (RFC 2342).
#include <array>

#include "imap/proto/chars.h"
#include "imap/proto/response.h"
#include "imap/server/session.h"

namespace tern::imap {

const Session::CommandSpec* Session::spec(std::string_view name) {
  using S = Session;
  constexpr unsigned kAny = S::kNotAuth | S::kAuth | S::kSelected;
  constexpr unsigned kIn = S::kAuth | S::kSelected;
  constexpr unsigned kSel = S::kSelected;
  static const std::array<S::CommandSpec, 37> kTable{{
      {"CAPABILITY", &S::cmd_capability, kAny},
      {"NOOP", &S::cmd_noop, kAny},
      {"LOGOUT", &S::cmd_logout, kAny},
      {"ID", &S::cmd_id, kAny},
      {"ENABLE", &S::cmd_enable, kIn},
      {"STARTTLS", &S::cmd_starttls, S::kNotAuth},
      {"LOGIN", &S::cmd_login, S::kNotAuth},
      {"AUTHENTICATE", &S::cmd_authenticate, S::kNotAuth},
      {"NAMESPACE", &S::cmd_namespace, kIn},
      {"COMPRESS", &S::cmd_compress, kIn},
      {"GETQUOTAROOT", &S::cmd_getquotaroot, kIn},
      {"GETQUOTA", &S::cmd_getquota, kIn},
      {"LIST", &S::cmd_list, kIn},
      {"LSUB", &S::cmd_lsub, kIn},
      {"CREATE", &S::cmd_create, kIn},
      {"DELETE", &S::cmd_delete, kIn},
      {"RENAME", &S::cmd_rename, kIn},
      {"SUBSCRIBE", &S::cmd_subscribe, kIn},
      {"UNSUBSCRIBE", &S::cmd_unsubscribe, kIn},
      {"STATUS", &S::cmd_status, kIn},
      {"SELECT", &S::cmd_select, kIn},
      {"EXAMINE", &S::cmd_examine, kIn},
      {"APPEND", &S::cmd_append, kIn},
      {"IDLE", &S::cmd_idle, kIn},
      {"NOTIFY", &S::cmd_notify, kIn},
      {"CLOSE", &S::cmd_close, kSel},
      {"UNSELECT", &S::cmd_unselect, kSel},
      {"CHECK", &S::cmd_check, kSel},
      {"EXPUNGE", &S::cmd_expunge, kSel | S::kUidForm},
      {"FETCH", &S::cmd_fetch, kSel | S::kUidForm | S::kLooksOnly},
      {"STORE", &S::cmd_store, kSel | S::kUidForm},
      {"SEARCH", &S::cmd_search, kSel | S::kUidForm | S::kLooksOnly},
      {"SORT", &S::cmd_sort, kSel | S::kUidForm | S::kLooksOnly},
      {"THREAD", &S::cmd_thread, kSel | S::kUidForm | S::kLooksOnly},
      {"CANCELUPDATE", &S::cmd_cancelupdate, kSel},
      {"COPY", &S::cmd_copy, kSel | S::kUidForm},
      {"MOVE", &S::cmd_move, kSel | S::kUidForm},
  }};
  for (const auto& s : kTable)
    if (s.name == name) return &s;
  return nullptr;
}

asio::awaitable<void> Session::cmd_capability(const Call& k) {
  if (k.c.args.size() != k.first) {
    bad(k, "CAPABILITY takes no arguments.");
    co_return;
  }
  untagged("CAPABILITY " + capabilities());
  ok(k, "Capability completed.");
}

asio::awaitable<void> Session::cmd_namespace(const Call& k) {
  if (k.c.args.size() != 0) {
    bad(k, "NAMESPACE takes no arguments.");
    co_return;
  }
  // One personal namespace, no prefix, "." between levels (Maildir++);
  // no other users' and no shared folders.
  untagged("NAMESPACE ((\"\" \".\")) NIL NIL");
  ok(k, "Namespace completed.");
}

asio::awaitable<void> Session::cmd_noop(const Call& k) {
  ok(k, "NOOP completed.");
  co_return;
}

asio::awaitable<void> Session::cmd_check(const Call& k) {
  ok(k, "CHECK completed.");
  co_return;
}

asio::awaitable<void> Session::cmd_logout(const Call& k) {
  out_ += "* BYE Logging out\r\n";
  out_ += k.c.tag + " OK Logout completed.\r\n";
  hang_up_ = true;
  co_return;
}

asio::awaitable<void> Session::cmd_id(const Call& k) {
  // RFC 2971: a list of field-value pairs or NIL; tern says its name only.
  if (k.c.args.size() != 1 || (!k.c.args[0].is_nil() && k.c.args[0].kind != Value::Kind::list)) {
    bad(k, "ID takes a list or NIL.");
    co_return;
  }
  untagged("ID (\"name\" \"tern\")");
  ok(k, "ID completed.");
}

asio::awaitable<void> Session::cmd_enable(const Call& k) {
  if (k.c.args.empty()) {
    bad(k, "ENABLE needs capabilities.");
    co_return;
  }
  // ENABLED names what this command turned on (RFC 5161 3.2); unknown or
  // already enabled names are left out.
  std::string enabled;
  for (const auto& a : k.c.args) {
    std::string cap = a.keyword();
    if (cap == "UTF8=ACCEPT" && !utf8_) {
      utf8_ = true;  // RFC 6855: UTF-8 mailbox names and quoted strings from now on
      enabled += " UTF8=ACCEPT";
    } else if (cap == "CONDSTORE" && !condstore_) {
      enable_condstore();
      enabled += " CONDSTORE";
    } else if (cap == "IMAP4REV2" && !rev2_) {
      // RFC 9051 responses from now on: ESEARCH for SEARCH, no RECENT,
      // UTF-8 mailbox names (5.1) as after UTF8=ACCEPT, OK [CLOSED].
      rev2_ = true;
      utf8_ = true;
      enabled += " IMAP4rev2";
    } else if (cap == "QRESYNC" && !qresync_) {
      qresync_ = true;
      enable_condstore();
      enabled += " QRESYNC";
    }
  }
  untagged("ENABLED" + enabled);
  ok(k, "ENABLE completed.");
}

}  // namespace tern::imap
