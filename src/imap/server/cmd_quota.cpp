// QUOTA (RFC 9208, read-only): GETQUOTAROOT and GETQUOTA over the account's
// one quota root, "User quota" as Dovecot names it, with STORAGE in units
// of 1024 bytes and MESSAGE. Usage comes from the Maildir++ maildirsize
// file (store/quota.h) that delivery and the other Maildir tools keep.
// Without a quota rule the account has no root: GETQUOTAROOT answers with
// an empty QUOTAROOT, GETQUOTA with NO [NONEXISTENT]. SETQUOTA is not
// offered: limits come from the configuration and the passwd-file.
// over_quota() is the check APPEND and COPY make before storing anything.
#include "base/log.h"
#include "imap/proto/response.h"
#include "imap/server/session.h"

namespace tern::imap {

namespace {
constexpr std::string_view kRoot = "User quota";
}

// "* QUOTA "User quota" (STORAGE used limit MESSAGE used limit)", or "" when
// the usage cannot be read (logged).
std::string Session::quota_response() {
  auto used = store::quota_usage(account_root_, quota_);
  if (!used) {
    log::warn("imap: {}: user={}: quota usage: {}", client_name_, user_, used.error().detail);
    return "";
  }
  std::string items;
  if (quota_.storage_bytes)
    items += fmt::format("STORAGE {} {}", std::max<int64_t>(used->bytes, 0) / 1024, quota_.storage_bytes / 1024);
  if (quota_.messages)
    items += fmt::format("{}MESSAGE {} {}", items.empty() ? "" : " ", std::max<int64_t>(used->messages, 0),
                         quota_.messages);
  return fmt::format("* QUOTA {} ({})\r\n", format_string(kRoot), items);
}

bool Session::over_quota(uint64_t bytes, uint64_t messages) {
  if (!quota_.limited()) return false;
  auto used = store::quota_usage(account_root_, quota_);
  if (!used) {  // the store will say so if it is really broken; the quota does not refuse on its own failure
    log::warn("imap: {}: user={}: quota usage: {}", client_name_, user_, used.error().detail);
    return false;
  }
  return store::quota_exceeded(quota_, *used, bytes, messages);
}

asio::awaitable<void> Session::cmd_getquotaroot(const Call& k) {
  if (k.c.args.size() != 1) {
    bad(k, "GETQUOTAROOT takes one mailbox name.");
    co_return;
  }
  auto folder = folder_arg(k, 0);
  if (!folder) co_return;
  if (!store_->open(*folder)) {
    no(k, "[NONEXISTENT] Mailbox does not exist.");
    co_return;
  }
  std::string mailbox = format_string(*k.c.args[0].astring(), utf8_);
  if (!quota_.limited()) {
    out_ += "* QUOTAROOT " + mailbox + "\r\n";
    ok(k, "Getquotaroot completed.");
    co_return;
  }
  std::string quota = quota_response();
  if (quota.empty()) {
    no(k, "[UNAVAILABLE] Quota usage cannot be read; try again later.");
    co_return;
  }
  out_ += "* QUOTAROOT " + mailbox + " " + format_string(kRoot) + "\r\n" + quota;
  ok(k, "Getquotaroot completed.");
}

asio::awaitable<void> Session::cmd_getquota(const Call& k) {
  auto root = k.c.args.size() == 1 ? k.c.args[0].astring() : std::nullopt;
  if (!root) {
    bad(k, "GETQUOTA takes one quota root name.");
    co_return;
  }
  if (*root != kRoot || !quota_.limited()) {
    no(k, "[NONEXISTENT] No such quota root.");
    co_return;
  }
  std::string quota = quota_response();
  if (quota.empty()) {
    no(k, "[UNAVAILABLE] Quota usage cannot be read; try again later.");
    co_return;
  }
  out_ += quota;
  ok(k, "Getquota completed.");
}

}  // namespace tern::imap
