// Recipient expansion (see rewriter.h). The walk keeps the chain of
// addresses being expanded, so an alias or virtual alias loop is found and
// refused with 5.4.6 instead of growing the queue (RELIABILITY.md #51).
#include "rewrite/rewriter.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/fd.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/strings.h"
#include "rewrite/alias_list.h"
#include "rewrite/system_user.h"
#include "rewrite/tables.h"

namespace tern::rewrite {

struct Rewriter::Walk {
  std::vector<Target> targets;
  std::vector<std::string> chain;  // addresses being expanded, outermost first
  int alias_depth = 0;             // aliases(5) and :include: expansions nested now
  void add(Target t) {
    for (auto& x : targets)
      if (x.kind == t.kind && x.address == t.address && x.path == t.path && x.command == t.command) return;
    targets.push_back(std::move(t));
  }
  // A member whose address is bad for good (5.1.x: no such user, no such
  // mailbox): it bounces alone, the others get the mail. A temporary
  // failure still defers the whole recipient, and a loop or a recursion
  // limit (5.4.6) still bounces it, as in Postfix.
  Status member(const std::string& address, Status st) {
    if (st || st.error().is_temporary() || st.error().dsn.rfind("5.1.", 0) != 0) return st;
    Target t{Target::Kind::failed, address, "", "", "", "", ""};
    t.dsn = st.error().dsn;
    t.detail = st.error().detail;
    add(std::move(t));
    return ok_status();
  }
};

namespace {

Error unknown(const std::string& address, const char* table) {
  return Error::with_dsn("5.1.1", fmt::format("<{}>: Recipient address rejected: User unknown in {}", address, table));
}

}  // namespace

Result<std::shared_ptr<Rewriter>> Rewriter::create(std::shared_ptr<const config::Config> cfg,
                                                   AccountExists accounts) {
  auto r = std::make_shared<Rewriter>();
  const auto& c = *cfg;
  Status st = ok_status();
  r->virtual_alias_ = open_tables(c, "virtual_alias_maps", maps::Format::table, st);
  if (!st) return st.error();
  r->aliases_ = open_tables(c, "alias_maps", maps::Format::aliases, st);
  if (!st) return st.error();
  for (auto& d : c.list("mydestination")) r->mydestination_.push_back(str::lower(d));
  for (auto& d : c.list("virtual_alias_domains")) r->virtual_alias_domains_.push_back(str::lower(d));
  for (auto& d : c.list("virtual_mailbox_domains")) r->virtual_mailbox_domains_.push_back(str::lower(d));
  for (auto& d : c.list("relay_domains")) r->relay_domains_.push_back(str::lower(d));
  r->delimiter_ = c.get("recipient_delimiter");
  r->myorigin_ = str::lower(c.get("myorigin"));
  auto cmds = c.list("allow_mail_to_commands");
  auto files = c.list("allow_mail_to_files");
  r->commands_from_alias_ = in_list(cmds, "alias");
  r->commands_from_include_ = in_list(cmds, "include");
  r->files_from_alias_ = in_list(files, "alias");
  r->files_from_include_ = in_list(files, "include");
  r->expansion_limit_ = static_cast<size_t>(c.integer("virtual_alias_expansion_limit"));
  r->recursion_limit_ = static_cast<int>(c.integer("virtual_alias_recursion_limit"));
  r->alias_recursion_limit_ = static_cast<int>(c.integer("alias_recursion_limit"));
  auto propagate = c.list("propagate_unmatched_extensions");
  r->propagate_virtual_ = in_list(propagate, "virtual");
  r->propagate_alias_ = in_list(propagate, "alias");
  r->propagate_include_ = in_list(propagate, "include");
  if (!r->virtual_mailbox_domains_.empty() && c.get("virtual_mailbox_base").empty())
    return Error::perm("virtual_mailbox_domains is set but virtual_mailbox_base is empty");
  r->cfg_ = std::move(cfg);
  r->accounts_ = std::move(accounts);
  return r;
}

mail::DomainClass Rewriter::classify(std::string_view domain_in) const {
  std::string domain = str::lower(domain_in);
  if (!domain.empty() && domain.back() == '.') domain.pop_back();
  if (domain.empty() || in_list(mydestination_, domain)) return mail::DomainClass::local;
  if (in_list(virtual_alias_domains_, domain)) return mail::DomainClass::virtual_alias;
  if (in_list(virtual_mailbox_domains_, domain)) return mail::DomainClass::virtual_mailbox;
  for (auto& r : relay_domains_) {
    if (r == domain) return mail::DomainClass::relay;
    if (r.size() > 1 && r.front() == '.' && domain.size() > r.size() &&
        domain.compare(domain.size() - r.size(), r.size(), r) == 0)
      return mail::DomainClass::relay;
  }
  return mail::DomainClass::remote;
}

std::string Rewriter::qualify(const mail::Address& a) const {
  if (a.is_null()) return "";
  if (!a.domain.empty()) return a.str();
  mail::Address q = a;
  q.domain = myorigin_;
  return q.str();
}

maps::Lookup Rewriter::lookup_virtual(const std::string& local, const std::string& domain,
                                      std::string* unmatched) const {
  if (virtual_alias_.empty()) return {};
  std::string lk = str::lower(local);
  auto parts = mail::split_extension(lk, delimiter_);
  std::string suffix = lk.substr(parts.user.size());  // "+tag", or ""
  // (key, the extension it leaves unmatched); the @domain catch-all
  // leaves none, as in Postfix.
  std::vector<std::pair<std::string, std::string>> keys{{lk + "@" + domain, ""}};
  if (!parts.extension.empty()) keys.push_back({parts.user + "@" + domain, suffix});
  if (classify(domain) == mail::DomainClass::local) {
    keys.push_back({lk, ""});
    if (!parts.extension.empty()) keys.push_back({parts.user, suffix});
  }
  keys.push_back({"@" + domain, ""});
  for (auto& [k, rest] : keys) {
    auto r = first_match(virtual_alias_, k);
    if (r.status == maps::Status::not_found) continue;
    if (unmatched) *unmatched = rest;
    return r;
  }
  return {};
}

maps::Lookup Rewriter::lookup_alias(const std::string& local, std::string* unmatched) const {
  if (aliases_.empty()) return {};
  std::string lk = str::lower(local);
  auto r = first_match(aliases_, lk);
  if (r.status != maps::Status::not_found) return r;
  auto parts = mail::split_extension(lk, delimiter_);
  if (parts.extension.empty()) return {};
  r = first_match(aliases_, parts.user);
  if (r.found() && unmatched) *unmatched = lk.substr(parts.user.size());
  return r;
}

Status Rewriter::validate(const std::string& address) const {
  auto [local, domain] = split_at(address);
  auto v = lookup_virtual(local, domain);
  if (v.status == maps::Status::try_again) return Error::temp("virtual_alias_maps: " + v.detail);
  if (v.found()) return ok_status();
  auto parts = mail::split_extension(local, delimiter_);
  switch (classify(domain)) {
    case mail::DomainClass::virtual_alias:
      return unknown(address, "virtual alias table");
    case mail::DomainClass::virtual_mailbox:
      if (account(str::lower(local) + "@" + domain) || account(str::lower(parts.user) + "@" + domain))
        return ok_status();
      return unknown(address, "virtual mailbox table");
    case mail::DomainClass::local: {
      auto a = lookup_alias(local);
      if (a.status == maps::Status::try_again) return Error::temp("alias_maps: " + a.detail);
      if (a.found()) return ok_status();
      auto u = find_system_user(str::lower(parts.user));
      if (!u) return u.error();
      if (u->has_value() || str::iequals(parts.user, "postmaster")) return ok_status();
      return unknown(address, "local recipient table");
    }
    default:
      return ok_status();
  }
}

namespace {

// An alias's :include: file, refused (5.3.5, as Postfix's local(8)) when its
// path is relative (it would depend on the daemon's working directory),
// when it is not a regular file, or when anyone may write to it (anyone
// could then add commands or files that run with the alias's rights). A
// file that is missing or unreadable defers, as before.
Result<std::string> read_include(const std::string& path) {
  if (path.empty() || path[0] != '/')
    return Error::with_dsn("5.3.5", fmt::format(":include:{}: not an absolute path", path));
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) return Error::temp(fmt::format(":include:{}: {}", path, std::strerror(errno)));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Error::temp(fmt::format(":include:{}: {}", path, std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) return Error::with_dsn("5.3.5", fmt::format(":include:{}: not a regular file", path));
  if (st.st_mode & S_IWOTH)
    return Error::with_dsn("5.3.5", fmt::format(":include:{}: writable by anyone; chmod o-w it", path));
  auto text = fs::read_fd(fd.get(), path, 1 << 20);
  if (!text) return Error::temp(fmt::format(":include:{}: {}", path, text.error().detail));
  return text;
}

}  // namespace

Result<std::vector<Target>> Rewriter::expand(const std::string& address) const {
  Walk w;
  auto st = expand_one(address, w, 0);
  if (!st) return st.error();
  return std::move(w.targets);
}

Status Rewriter::expand_one(const std::string& address, Walk& w, int depth) const {
  if (depth > recursion_limit_) return Error::with_dsn("5.4.6", "alias recursion limit exceeded for <" + address + ">");
  if (w.targets.size() > expansion_limit_) return Error::temp("alias expansion limit exceeded");
  std::string key = str::lower(address);
  if (std::find(w.chain.begin(), w.chain.end(), key) != w.chain.end())
    return Error::with_dsn("5.4.6", fmt::format("mail forwarding loop for <{}>", address));
  w.chain.push_back(key);
  auto [local, domain] = split_at(address);
  Status result = ok_status();
  std::string unmatched;
  auto v = lookup_virtual(local, domain, &unmatched);
  if (!propagate_virtual_) unmatched.clear();
  if (v.status == maps::Status::try_again) {
    result = Error::temp("virtual_alias_maps: " + v.detail);
  } else if (v.found()) {
    auto items = split_alias_list(v.value);
    if (!items)
      result = Error::with_dsn("4.3.0", fmt::format("virtual_alias_maps entry for <{}>: {}", address, items.error().detail));
    else if (items->empty())
      result = Error::with_dsn("4.3.0", fmt::format("virtual_alias_maps entry for <{}>: no recipient in it", address));
    for (size_t i = 0; items && i < items->size() && result; ++i) {
      const std::string& item = (*items)[i];
      std::string next = with_extension(item.find('@') == std::string::npos ? item + "@" + myorigin_ : item, unmatched);
      // "a@x -> a@x, b@x" delivers to a@x itself, as Postfix does.
      result = str::iequals(next, address) ? expand_class(address, w, depth)
                                           : w.member(next, expand_one(next, w, depth + 1));
    }
  } else {
    result = expand_class(address, w, depth);
  }
  w.chain.pop_back();
  return result;
}

Status Rewriter::expand_class(const std::string& address, Walk& w, int depth) const {
  auto [local, domain] = split_at(address);
  auto parts = mail::split_extension(local, delimiter_);
  switch (classify(domain)) {
    case mail::DomainClass::virtual_alias:
      return unknown(address, "virtual alias table");
    case mail::DomainClass::virtual_mailbox: {
      std::string acct = str::lower(local) + "@" + domain;
      bool u = account(acct);
      if (!u && !parts.extension.empty()) {
        acct = str::lower(parts.user) + "@" + domain;
        u = account(acct);
      } else {
        parts.extension.clear();
      }
      if (!u) return unknown(address, "virtual mailbox table");
      // The account, not a path: delivery maps it (store/mailbox_path.h).
      w.add({Target::Kind::virtual_mailbox, acct, "", parts.extension, "", "", ""});
      return ok_status();
    }
    case mail::DomainClass::local:
      return expand_local(local, domain, w, depth);
    default:
      w.add({Target::Kind::remote, address, "", "", "", "", ""});
      return ok_status();
  }
}

Status Rewriter::expand_local(const std::string& local, const std::string& domain, Walk& w, int depth) const {
  auto parts = mail::split_extension(local, delimiter_);
  std::string user = str::lower(parts.user);
  std::string unmatched;
  auto a = lookup_alias(local, &unmatched);
  if (a.status == maps::Status::try_again) return Error::temp("alias_maps: " + a.detail);
  if (a.found()) {
    // Postfix's alias_recursion_limit: aliases nested deeper bounce as a loop.
    if (w.alias_depth >= alias_recursion_limit_)
      return Error::with_dsn("5.4.6", fmt::format("alias database loop for {}", user));
    ++w.alias_depth;
    auto st = expand_alias_value(user, a.value, domain, w, depth, false, propagate_alias_ ? unmatched : "");
    --w.alias_depth;
    return st;
  }
  auto pw = find_system_user(user);
  if (!pw) return pw.error();
  if (!pw->has_value() && user == "postmaster") {
    pw = find_system_user("root");
    if (!pw) return pw.error();
  }
  if (!pw->has_value()) return unknown(local + "@" + domain, "local recipient table");
  w.add({Target::Kind::local_user, user + "@" + domain, (*pw)->name, parts.extension, "", "", ""});
  return ok_status();
}

Status Rewriter::expand_alias_value(const std::string& key, const std::string& value, const std::string& domain,
                                    Walk& w, int depth, bool from_include, const std::string& unmatched) const {
  const char* source = from_include ? "include" : "alias";
  auto items = split_alias_list(value);
  if (!items) return Error::with_dsn("4.3.0", fmt::format("{} entry for {}: {}", source, key, items.error().detail));
  // An alias that names nobody ("x: \"\"") would drop the mail unseen;
  // Postfix defers it. An empty :include: file is an empty list: no mail.
  if (items->empty() && !from_include)
    return Error::with_dsn("4.3.0", fmt::format("alias entry for {}: no recipient in it", key));
  for (auto& item : *items) {
    if (item.empty()) continue;
    if (item[0] == '|') {
      if (!(from_include ? commands_from_include_ : commands_from_alias_))
        return Error::with_dsn("5.7.1", fmt::format("mail to command is restricted ({})", source));
      w.add({Target::Kind::command, key + "@" + domain, "", "", "", item.substr(1), source});
    } else if (item[0] == '/') {
      if (!(from_include ? files_from_include_ : files_from_alias_))
        return Error::with_dsn("5.7.1", fmt::format("mail to file is restricted ({})", source));
      w.add({Target::Kind::file, key + "@" + domain, "", "", item, "", source});
    } else if (str::istarts_with(item, ":include:")) {
      if (w.alias_depth >= alias_recursion_limit_)
        return Error::with_dsn("5.4.6", fmt::format("alias database loop for {} (:include:)", key));
      std::string path = std::string(str::trim(std::string_view(item).substr(9)));
      auto text = read_include(path);
      if (!text) return text.error();
      std::string joined;
      size_t lineno = 0;
      for (auto& line : str::split(*text, '\n')) {
        ++lineno;
        auto t = str::trim(line);
        if (t.empty() || t[0] == '#') continue;
        if (std::any_of(t.begin(), t.end(), [](char c) { return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f; })) {
          // A NUL would cut an address short on its way to delivery.
          log::warn(":include:{} line {}: control character; line skipped", path, lineno);
          continue;
        }
        // Each line stands alone: a quote left open must not swallow the next.
        if (auto line_items = split_alias_list(t); !line_items)
          return Error::with_dsn("4.3.0", fmt::format(":include:{} line {}: {}", path, lineno, line_items.error().detail));
        if (!joined.empty()) joined += ", ";
        joined += std::string(t);
      }
      ++w.alias_depth;
      auto st = expand_alias_value(key, joined, domain, w, depth, true, propagate_include_ ? unmatched : "");
      --w.alias_depth;
      if (!st) return st;
    } else {
      std::string name = item[0] == '\\' ? item.substr(1) : item;
      bool direct = item[0] == '\\' || str::iequals(name, key);
      if (direct && name.find('@') == std::string::npos) {
        auto pw = find_system_user(str::lower(name));
        if (!pw) return pw.error();
        if (!pw->has_value()) {
          if (Status st = w.member(name + "@" + domain, unknown(name + "@" + domain, "local recipient table")); !st)
            return st;
          continue;
        }
        w.add({Target::Kind::local_user, str::lower(name) + "@" + domain, (*pw)->name, "", "", "", ""});
        continue;
      }
      std::string next = with_extension(name.find('@') == std::string::npos ? name + "@" + domain : name, unmatched);
      if (Status st = w.member(next, expand_one(next, w, depth)); !st) return st;
    }
  }
  return ok_status();
}

}  // namespace tern::rewrite
