// Rewriter: turns an envelope recipient into delivery targets, once, in one
// place: virtual alias maps (with the @domain catch-all), aliases(5) for
// local domains (|command, /file, :include:), recipient_delimiter
// extensions, accounts of virtual mailbox domains, system users.
// propagate_unmatched_extensions (virtual, alias, include) and
// alias_recursion_limit follow Postfix (docs/behaviour.md).
//
// SECURITY: a pipe or file target can only come from an alias or include
// file the administrator wrote, never from an address a client sent: a
// local part such as "|id" or "/etc/passwd" is just a name that no user has
// (RELIABILITY.md #15). Nothing is expanded: "$x" and "%u" stay literal.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <functional>

#include "base/result.h"
#include "config/config.h"
#include "mail/address.h"
#include "mail/domain_class.h"
#include "maps/table.h"

namespace tern::rewrite {

struct Target {
  // failed: a member of an alias, :include: list or virtual alias whose
  // address is bad for good (5.1.x, an unknown user): it bounces on its own
  // (dsn, detail) while the other members get the mail, as in Postfix. It
  // is never handed to a delivery agent. Last, so that a delivery request
  // naming it is refused as a bad kind.
  enum class Kind { virtual_mailbox, local_user, command, file, remote, failed };
  Kind kind = Kind::local_user;
  std::string address;    // the address delivered to (Delivered-To:); the account (virtual_mailbox)
  std::string user;       // system user name (local_user; owner for command/file)
  std::string extension;  // "+tag" part without the delimiter
  std::string path;       // file or Maildir (file); never set for virtual_mailbox
  std::string command;    // command line (command)
  std::string source;     // "alias", "include" or "" (how a command/file target arose)
  std::string dsn = {};     // failed: the enhanced status (5.1.x)
  std::string detail = {};  // failed: why, in plain words
};

// Does this account ("user@domain", lower case) exist in the user
// database? Supplied by whoever owns the database (roles/ wires auth in),
// so rewrite does not depend on auth, a module of its own layer.
using AccountExists = std::function<bool(const std::string& address)>;

class Rewriter {
 public:
  // accounts may be empty: virtual mailbox domains then have no accounts.
  static Result<std::shared_ptr<Rewriter>> create(std::shared_ptr<const config::Config> cfg,
                                                  AccountExists accounts);

  mail::DomainClass classify(std::string_view domain) const;
  // "user" -> "user@$myorigin"; addresses with a domain are returned as is.
  std::string qualify(const mail::Address& a) const;
  // The RCPT-time check: does this recipient exist? Permanent error (with
  // dsn 5.1.1 and a reason) for an unknown user, temporary on table trouble.
  Status validate(const std::string& address) const;
  // Full expansion into delivery targets.
  Result<std::vector<Target>> expand(const std::string& address) const;

 private:
  struct Walk;
  Status expand_one(const std::string& address, Walk& w, int depth) const;
  Status expand_class(const std::string& address, Walk& w, int depth) const;
  Status expand_local(const std::string& local, const std::string& domain, Walk& w, int depth) const;
  // unmatched: the "+ext" to add to each address of value (propagated), or "".
  Status expand_alias_value(const std::string& key, const std::string& value, const std::string& domain,
                            Walk& w, int depth, bool from_include, const std::string& unmatched) const;
  // unmatched (if given) is set to the "+ext" the matching key left out.
  maps::Lookup lookup_virtual(const std::string& local, const std::string& domain,
                              std::string* unmatched = nullptr) const;
  maps::Lookup lookup_alias(const std::string& local, std::string* unmatched = nullptr) const;

  std::shared_ptr<const config::Config> cfg_;
  AccountExists accounts_;
  bool account(const std::string& address) const { return accounts_ && accounts_(address); }
  std::vector<std::shared_ptr<maps::Table>> virtual_alias_, aliases_;
  std::vector<std::string> mydestination_, virtual_alias_domains_, virtual_mailbox_domains_, relay_domains_;
  std::string delimiter_, myorigin_;
  bool commands_from_alias_ = true, commands_from_include_ = false;
  bool files_from_alias_ = true, files_from_include_ = false;
  size_t expansion_limit_ = 1000;
  int recursion_limit_ = 100;        // virtual_alias_recursion_limit: virtual alias nesting
  int alias_recursion_limit_ = 1000; // aliases(5) and :include: nesting
  bool propagate_virtual_ = true, propagate_alias_ = false, propagate_include_ = false;
};

}  // namespace tern::rewrite
