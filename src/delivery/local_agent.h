// LocalAgent: delivers one message to one target produced by the rewriter:
// a virtual account's Maildir, a system user's mailbox (mbox in
// mail_spool_directory, home_mailbox, or mailbox_command), a command, or a
// file. It prepends Return-Path: and Delivered-To: and refuses a message
// that already carries Delivered-To: for this target (a mail loop, 5.4.6).
//
// SECURITY: deliveries for a system user run in a short-lived child that
// has switched to that user before it opens anything (when tern runs as
// root); commands and files named by aliases run as default_privs when
// tern is root. Data from the envelope reaches a command only through its
// environment, with shell-significant characters replaced by '_'
// (RELIABILITY.md #17).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "queue/envelope.h"
#include "base/dir_sync.h"
#include "rewrite/rewriter.h"
#include "rewrite/system_user.h"
#include "store/quota.h"

namespace tern::delivery {

struct Delivered {
  std::string how;  // "delivered to maildir", "delivered to command: procmail", ...
  // Addresses a system user's .forward sends the message on to: the caller
  // resubmits it to them (scheduler/forward.h) before the target counts as
  // delivered. `how` then says what was delivered here, or is empty.
  std::vector<std::string> forward_to = {};
};

// A delivery agent: one message to one target. LocalAgent does the work
// in this process; roles/ has one that forwards privileged targets to the
// root-owned local delivery process.
class Agent {
 public:
  virtual ~Agent() = default;
  virtual Result<Delivered> deliver(const queue::Envelope& env, std::string_view content,
                                    const rewrite::Target& t, const std::string& original_recipient) const = 0;
};

// True for targets that must run with another user's identity (system
// users, commands, files) when tern runs as root.
bool needs_privilege(const rewrite::Target& t);

class LocalAgent : public Agent {
 public:
  // quota: each virtual account's rule (store/quota.h); none: no quotas.
  explicit LocalAgent(std::shared_ptr<const config::Config> cfg, store::QuotaLookup quota = nullptr);
  Result<Delivered> deliver(const queue::Envelope& env, std::string_view content, const rewrite::Target& t,
                            const std::string& original_recipient) const override;

 private:
  Result<Delivered> deliver_user(const queue::Envelope& env, std::string_view content, const rewrite::Target& t,
                                 const std::string& prefix) const;
  Result<Delivered> deliver_mailbox(const queue::Envelope& env, std::string_view content, const rewrite::Target& t,
                                    const rewrite::SystemUser& u, const std::string& prefix) const;
  // The user's .forward (forward_delivery.cpp): nullopt when there is none
  // to follow (absent, ignored as unsafe, or without a usable entry).
  Result<std::optional<Delivered>> deliver_forward(const queue::Envelope& env, std::string_view content,
                                                   const rewrite::Target& t, const rewrite::SystemUser& u,
                                                   const std::string& prefix) const;
  Result<Delivered> deliver_command(const queue::Envelope& env, std::string_view content, const rewrite::Target& t,
                                    const std::string& command, const std::string& prefix, const std::string& user,
                                    bool as_alias) const;
  // A file written as `user` (default_privs for aliases; a user's own
  // .forward as that user); as default_privs when `user` is root.
  Result<Delivered> deliver_file(const queue::Envelope& env, std::string_view content, const std::string& path,
                                 const std::string& prefix, const std::string& user) const;
  // A virtual account's quota: 5.2.2 when the message would go over it
  // (checked before anything is written), the usage kept after.
  Status quota_check(const std::string& account, const std::string& dir, uint64_t bytes) const;
  std::shared_ptr<const config::Config> cfg_;
  store::QuotaLookup quota_;
  uint64_t mailbox_limit_;  // mailbox_size_limit, bytes, 0 = none (mbox files, Maildir messages)
  // Deliveries into one Maildir from several worker threads share the
  // fsync of its new/ directory.
  mutable DirSyncGroup dir_sync_;
};

// "From " line prefix + headers, for tests and the agent alike.
std::string delivery_prefix(const queue::Envelope& env, const std::string& delivered_to);
// True if the header section has "Delivered-To: address" (case-insensitive).
bool has_delivered_to(std::string_view content, const std::string& address);
// Replaces characters outside [A-Za-z0-9@.+_=-] with '_' (environment values).
std::string sanitize_env(const std::string& value);
// Maps a command's exit status to an outcome, as sendmail's sysexits.h does.
Status exit_status_outcome(int exit_code, const std::string& what);

}  // namespace tern::delivery
