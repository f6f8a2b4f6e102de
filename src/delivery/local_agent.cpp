// Implementation of local delivery (see local_agent.h).
#include "delivery/local_agent.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/child.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/strings.h"
#include "rewrite/system_user.h"
#include "store/change_hub.h"
#include "store/mailbox_path.h"
#include "store/maildir.h"
#include "store/mbox.h"

namespace tern::delivery {

namespace {

bool running_as_root() { return ::geteuid() == 0; }

}  // namespace

std::string delivery_prefix(const queue::Envelope& env, const std::string& delivered_to) {
  // The envelope came through checks that refuse control bytes, but a queue
  // file is not a header: encode them here so no input can start a header.
  return fmt::format("Return-Path: <{}>\nDelivered-To: {}\n", str::escape_controls(env.sender),
                     str::escape_controls(delivered_to));
}

bool has_delivered_to(std::string_view content, const std::string& address) {
  size_t pos = 0;
  while (pos < content.size()) {
    size_t eol = content.find('\n', pos);
    std::string_view line(content.data() + pos, (eol == std::string::npos ? content.size() : eol) - pos);
    if (line.empty()) break;
    if (str::istarts_with(line, "delivered-to:") && str::iequals(str::trim(line.substr(13)), address)) return true;
    if (eol == std::string::npos) break;
    pos = eol + 1;
  }
  return false;
}

std::string sanitize_env(const std::string& v) {
  std::string out;
  for (unsigned char c : v) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '@' || c == '.' ||
              c == '+' || c == '_' || c == '=' || c == '-' || c >= 0x80;
    out += ok ? static_cast<char>(c) : '_';
  }
  return out;
}

Status exit_status_outcome(int code, const std::string& what) {
  struct Row {
    int code;
    const char* dsn;
    const char* text;
  };
  static const Row rows[] = {
      {64, "5.3.0", "command line usage error"}, {65, "5.6.0", "data format error"},
      {66, "5.3.0", "cannot open input"},        {67, "5.1.1", "user unknown"},
      {68, "5.1.2", "host name unknown"},        {69, "5.3.0", "service unavailable"},
      {70, "5.3.0", "internal software error"},  {71, "4.3.0", "system error"},
      {72, "5.3.0", "critical OS file missing"}, {73, "5.2.0", "can't create output file"},
      {74, "5.3.0", "input/output error"},       {75, "4.3.0", "temporary failure"},
      {76, "5.5.0", "remote error in protocol"}, {77, "5.7.0", "permission denied"},
      {78, "5.3.5", "configuration error"},
  };
  if (code == 0) return ok_status();
  for (auto& r : rows)
    if (r.code == code) return Error::with_dsn(r.dsn, fmt::format("{} ({}: exit {})", r.text, what, code));
  // Not a sysexits code: unknown failures are temporary (a wrong "temporary" only delays mail).
  return Error::with_dsn("4.3.0", fmt::format("{} failed with exit status {}", what, code));
}

bool needs_privilege(const rewrite::Target& t) {
  return t.kind == rewrite::Target::Kind::local_user || t.kind == rewrite::Target::Kind::command ||
         t.kind == rewrite::Target::Kind::file;
}

LocalAgent::LocalAgent(std::shared_ptr<const config::Config> cfg, store::QuotaLookup quota)
    : cfg_(std::move(cfg)), quota_(std::move(quota)),
      mailbox_limit_(static_cast<uint64_t>(cfg_->bytes("mailbox_size_limit"))) {}

Status LocalAgent::quota_check(const std::string& account, const std::string& dir, uint64_t bytes) const {
  if (!quota_) return ok_status();
  auto rule = quota_(account);
  if (!rule) return Error::with_dsn("4.3.5", fmt::format("quota rule of {}: {}", account, rule.error().detail));
  if (!rule->limited()) return ok_status();
  auto used = store::quota_usage(dir, *rule);
  if (!used) return Error::with_dsn("4.3.0", fmt::format("quota usage of {}: {}", account, used.error().detail));
  if (store::quota_exceeded(*rule, *used, bytes))
    return Error::with_dsn("5.2.2", fmt::format("mailbox full: quota exceeded ({} of {} bytes, {} of {} messages "
                                                "used; this message is {} bytes)",
                                                used->bytes, rule->storage_bytes, used->messages, rule->messages,
                                                bytes));
  return ok_status();
}

Result<Delivered> LocalAgent::deliver(const queue::Envelope& env, std::string_view content,
                                      const rewrite::Target& t, const std::string& original) const {
  if (has_delivered_to(content, t.address))
    return Error::with_dsn("5.4.6", fmt::format("mail forwarding loop for {}", t.address));
  std::string prefix = delivery_prefix(env, t.address);
  switch (t.kind) {
    case rewrite::Target::Kind::virtual_mailbox: {
      auto dir = store::virtual_mailbox_path(cfg_->get("virtual_mailbox_base"), t.address);
      if (!dir) return dir.error();
      // The recipient is crossed off only after new/ is durable. The ticket
      // is taken before the link, so a failed fsync of new/ that may have
      // dropped it is never reported as success (base/dir_sync.h).
      if (Status q = quota_check(t.address, *dir, prefix.size() + content.size()); !q) return q.error();
      const std::string new_dir = fs::join(*dir, "new");
      auto ticket = dir_sync_.enter(new_dir);
      auto r = store::maildir_deliver(*dir, prefix, content,
                                      {.create = true, .sync_dir = false, .size_limit = mailbox_limit_});
      if (!r) return r.error();
      if (auto synced = dir_sync_.sync(ticket); !synced) {
        // Not known to be durable: take it back, as store/maildir.cpp does,
        // so the retry delivers the only copy (issue 7, item 3).
        if (::unlink(fs::join(new_dir, *r).c_str()) != 0)
          log::error("{}: could not remove {} after a failed fsync: {}", new_dir, *r, strerror(errno));
        return synced.error();
      }
      // The account's maildirsize (when it keeps one) counts the message.
      if (Status q = store::quota_add(*dir, static_cast<int64_t>(prefix.size() + content.size()), 1); !q)
        log::warn("{}: {}", t.address, q.error().detail);
      // Durable: an IMAP client in IDLE on this INBOX hears of it now (from
      // the kernel's watch of new/, which saw the link, when it has one).
      store::ChangeHub::process().changed_in(*dir, "new");
      return Delivered{"delivered to maildir"};
    }
    case rewrite::Target::Kind::local_user:
      return deliver_user(env, content, t, prefix);
    case rewrite::Target::Kind::command:
      return deliver_command(env, content, t, t.command, prefix, cfg_->get("default_privs"), true);
    case rewrite::Target::Kind::file:
      return deliver_file(env, content, t.path, prefix, cfg_->get("default_privs"));
    case rewrite::Target::Kind::remote:
      return Error::with_dsn("4.4.1", "remote delivery is not available yet");
    case rewrite::Target::Kind::failed:  // bounced by the scheduler, never delivered
      return Error::with_dsn(t.dsn, t.detail);
  }
  return Error::temp("unknown target kind");
}

Result<Delivered> LocalAgent::deliver_user(const queue::Envelope& env, std::string_view content,
                                           const rewrite::Target& t, const std::string& prefix) const {
  auto pw = rewrite::find_system_user(t.user);
  if (!pw) return pw.error();
  if (!pw->has_value()) return Error::with_dsn("5.1.1", "no such user: " + t.user);
  const auto& u = **pw;
  if (!running_as_root() && u.uid != ::geteuid())
    return Error::temp(fmt::format("cannot deliver as user {} without root privileges", u.name));
  // A .forward comes first, as in Postfix's local(8); mailbox_command and
  // the mailbox only when there is none to follow.
  auto fw = deliver_forward(env, content, t, u, prefix);
  if (!fw) return fw.error();
  if (fw->has_value()) return std::move(**fw);
  return deliver_mailbox(env, content, t, u, prefix);
}

Result<Delivered> LocalAgent::deliver_mailbox(const queue::Envelope& env, std::string_view content,
                                              const rewrite::Target& t, const rewrite::SystemUser& u,
                                              const std::string& prefix) const {
  std::string command = cfg_->get("mailbox_command");
  if (!command.empty()) return deliver_command(env, content, t, command, prefix, u.name, false);
  std::string home_mailbox = cfg_->get("home_mailbox");
  std::string how;
  std::function<Status()> job;
  if (!home_mailbox.empty()) {
    std::string path = fs::join(u.home, home_mailbox);
    if (path.back() == '/') {
      how = "delivered to maildir";
      job = [path, prefix, &content, limit = mailbox_limit_] {
        auto r = store::maildir_deliver(path, prefix, content, {.create = true, .size_limit = limit});
        return r ? ok_status() : Status(r.error());
      };
    } else {
      how = "delivered to mailbox";
      job = [path, prefix, &content, &env, limit = mailbox_limit_, owner = u.uid] {
        return store::mbox_deliver(path, env.sender, env.arrival, prefix, content,
                                   {.size_limit = limit, .owner = owner});
      };
    }
  } else {
    std::string path = fs::join(cfg_->get("mail_spool_directory"), u.name);
    how = "delivered to mailbox";
    job = [path, prefix, &content, &env, limit = mailbox_limit_, owner = u.uid] {
      return store::mbox_deliver(path, env.sender, env.arrival, prefix, content,
                                 {.size_limit = limit, .owner = owner});
    };
  }
  Status st = ok_status();
  if (running_as_root() && u.uid != ::geteuid())
    st = child::run_as({u.uid, u.gid, u.name}, job, static_cast<int>(cfg_->seconds("command_time_limit")));
  else if (!running_as_root() && u.uid != ::geteuid())
    st = Error::temp(fmt::format("cannot deliver as user {} without root privileges", u.name));
  else
    st = job();
  if (!st) return st.error();
  return Delivered{how};
}

Result<Delivered> LocalAgent::deliver_command(const queue::Envelope& env, std::string_view content,
                                              const rewrite::Target& t, const std::string& command,
                                              const std::string& prefix, const std::string& user,
                                              bool as_alias) const {
  child::CommandSpec spec;
  spec.command = command;
  spec.timeout_s = static_cast<int>(cfg_->seconds("command_time_limit"));
  std::string home = "/";
  std::string shell = "/bin/sh";
  if (running_as_root()) {
    auto pw = rewrite::find_system_user(user);
    if (!pw) return pw.error();
    if (!pw->has_value() || (*pw)->uid == 0) {
      // Never run a delivery command as root: fall back to nobody (default_privs).
      auto nb = rewrite::find_system_user(as_alias ? user : "nobody");
      if (!nb || !nb->has_value() || (*nb)->uid == 0) nb = rewrite::find_system_user("nobody");
      if (!nb || !nb->has_value()) return Error::temp("no unprivileged user for command delivery");
      pw = nb;
    }
    spec.identity = child::Identity{(*pw)->uid, (*pw)->gid, (*pw)->name};
    home = (*pw)->home;
    shell = (*pw)->shell;
  } else {
    auto self = rewrite::find_system_user(user);
    if (self && self->has_value()) home = (*self)->home;
  }
  auto at = t.address.rfind('@');
  spec.env = {
      "PATH=/usr/local/bin:/usr/bin:/bin",
      "SHELL=" + shell,
      "HOME=" + home,
      "USER=" + sanitize_env(user),
      "LOGNAME=" + sanitize_env(user),
      "SENDER=" + sanitize_env(env.sender),
      "RECIPIENT=" + sanitize_env(t.address),
      "LOCAL=" + sanitize_env(at == std::string::npos ? t.address : t.address.substr(0, at)),
      "DOMAIN=" + sanitize_env(at == std::string::npos ? "" : t.address.substr(at + 1)),
      "EXTENSION=" + sanitize_env(t.extension),
  };
  spec.cwd = home;
  spec.input = store::mbox_from_line(env.sender, env.arrival) + prefix;
  spec.input.append(content.data(), content.size());
  auto r = child::run_command(spec);
  if (!r) return r.error();
  std::string what = "command " + str::printable(command, 80);
  if (r->timed_out) return Error::with_dsn("4.3.0", what + " killed: time limit exceeded");
  if (r->signaled) return Error::with_dsn("4.3.0", what + " killed by a signal");
  auto st = exit_status_outcome(r->exit_code, what);
  if (!st) {
    Error e = st.error();
    if (!r->output.empty()) e.detail += ": " + str::printable(r->output, 200);
    return e;
  }
  return Delivered{"delivered to command: " + str::printable(command, 80)};
}

Result<Delivered> LocalAgent::deliver_file(const queue::Envelope& env, std::string_view content,
                                           const std::string& path, const std::string& prefix,
                                           const std::string& user) const {
  std::function<Status()> job;
  std::string how;
  if (!path.empty() && path.back() == '/') {
    how = "delivered to maildir";
    job = [&] {
      auto r = store::maildir_deliver(path, prefix, content, {.create = true, .size_limit = mailbox_limit_});
      return r ? ok_status() : Status(r.error());
    };
  } else {
    how = "delivered to file: " + str::printable(path, 200);
    job = [&] {
      return store::mbox_deliver(path, env.sender, env.arrival, prefix, content, {.size_limit = mailbox_limit_, .owner = std::nullopt});
    };
  }
  Status st = ok_status();
  if (running_as_root()) {
    auto pw = rewrite::find_system_user(user);
    if (pw && pw->has_value() && (*pw)->uid == 0) pw = rewrite::find_system_user(cfg_->get("default_privs"));
    if (!pw || !pw->has_value() || (*pw)->uid == 0) return Error::temp("default_privs names no unprivileged user");
    st = child::run_as({(*pw)->uid, (*pw)->gid, (*pw)->name}, job);
  } else {
    st = job();
  }
  if (!st) return st.error();
  return Delivered{how};
}

}  // namespace tern::delivery
