// A system user's ~/.forward at delivery time (Postfix's local(8)
// dotforward): found through forward_path, read as the user with the
// checks of forward_file.h, parsed by dot_forward.h, its :include: files
// read the same way (their commands and files need "include" in
// allow_mail_to_commands / allow_mail_to_files). What it names is done
// here, as the user: `\user` and the user's own address go to the mailbox,
// `|command` runs as the user (nobody for root) in the user's home, `/file`
// is written as the user (default_privs for root). Other addresses go back
// to the caller in Delivered::forward_to, which resubmits the message to
// them with the original sender (scheduler/forward.h), as local(8) does
// through cleanup. The message already carries "Delivered-To: user@domain"
// there, so a forwarding loop ends at its second turn (5.4.6).
#include <algorithm>

#include <fmt/format.h>

#include "base/log.h"
#include "base/strings.h"
#include "delivery/dot_forward.h"
#include "delivery/forward_file.h"
#include "delivery/local_agent.h"

namespace tern::delivery {

namespace {

bool allowed(const config::Config& cfg, const char* param, const char* what) {
  for (auto& w : cfg.list(param))
    if (str::iequals(w, what)) return true;
  return false;
}

// :include: files inside a .forward nest at most this deep.
constexpr int kMaxIncludeDepth = 10;

struct Gathered {
  ForwardItem item;
  bool from_include = false;
  std::string where;  // the file it came from, printable
};

// The items of one file, with those of its :include: files in their place.
// Included files are read as the user with the .forward checks; one that
// is absent or unreadable defers, as an alias's :include: does; one that
// fails a check is skipped with a warning.
Status gather(const std::string& address, const std::string& text, const std::string& where, bool from_include,
              int depth, const rewrite::SystemUser& u, std::vector<Gathered>& out) {
  auto list = parse_forward(text);
  for (auto& why : list.refused) log::warn("{}: {}: {} (skipped)", address, where, why);
  for (auto& it : list.items) {
    if (out.size() >= kMaxForwardItems) {
      log::warn("{}: {}: items after the {}th ignored", address, where, kMaxForwardItems);
      return ok_status();
    }
    if (it.kind != ForwardItem::Kind::include) {
      out.push_back({it, from_include, where});
      continue;
    }
    if (depth >= kMaxIncludeDepth)
      return Error::with_dsn("5.4.6", fmt::format("{}: :include: nested deeper than {}", where, kMaxIncludeDepth));
    std::string inc = str::printable(it.value, 200);
    if (it.value.empty() || it.value[0] != '/') {
      log::warn("{}: {}: :include: needs an absolute path (skipped)", address, where);
      continue;
    }
    auto f = read_forward_as({it.value}, u.uid, u.gid, u.name);
    if (!f) return f.error();
    if (f->state == ForwardFile::State::absent)
      return Error::temp(fmt::format("{}: :include:{}: no such file", where, inc));
    if (f->state == ForwardFile::State::ignored) {
      log::warn("{}: {}: :include:{} ignored: it {} (skipped)", address, where, inc, f->reason);
      continue;
    }
    auto st = gather(address, f->text, inc, true, depth + 1, u, out);
    if (!st) return st;
  }
  return ok_status();
}

}  // namespace

Result<std::optional<Delivered>> LocalAgent::deliver_forward(const queue::Envelope& env, std::string_view content,
                                                             const rewrite::Target& t, const rewrite::SystemUser& u,
                                                             const std::string& prefix) const {
  using Kind = ForwardItem::Kind;
  auto at = t.address.rfind('@');
  std::string domain = at == std::string::npos ? "" : t.address.substr(at + 1);
  std::string delimiter = cfg_->get("recipient_delimiter").substr(0, 1);
  ForwardVars v{u.name, u.home, u.shell, t.extension,
                t.extension.empty() ? t.address : u.name + delimiter + t.extension + "@" + domain,
                u.name, domain, t.extension.empty() ? "" : delimiter};
  auto candidates = forward_candidates(*cfg_, v);
  if (candidates.empty()) return std::optional<Delivered>();
  auto f = read_forward_as(candidates, u.uid, u.gid, u.name);
  if (!f) return f.error();
  if (f->state == ForwardFile::State::absent) return std::optional<Delivered>();
  std::string where = str::printable(f->path, 200);
  if (f->state == ForwardFile::State::ignored) {
    // The reason only: the file's text never reaches a log or a bounce.
    log::warn("{}: {} ignored: it {}; delivering to the mailbox", str::printable(t.address), where, f->reason);
    return std::optional<Delivered>();
  }
  std::vector<Gathered> items;
  if (auto st = gather(str::printable(t.address), f->text, where, false, 0, u, items); !st) return st.error();
  if (items.empty()) {
    log::warn("{}: {} has no usable entry; delivering to the mailbox", str::printable(t.address), where);
    return std::optional<Delivered>();
  }
  // allow_mail_to_commands / allow_mail_to_files: "forward" (the default)
  // for the .forward itself, "include" for its :include: files.
  for (auto& g : items) {
    const char* source = g.from_include ? "include" : "forward";
    if (g.item.kind == Kind::command && !allowed(*cfg_, "allow_mail_to_commands", source))
      return Error::with_dsn("5.7.1", fmt::format("mail to command is restricted ({}, {})", source, g.where));
    if (g.item.kind == Kind::file && !allowed(*cfg_, "allow_mail_to_files", source))
      return Error::with_dsn("5.7.1", fmt::format("mail to file is restricted ({}, {})", source, g.where));
  }
  Delivered out;
  std::vector<std::string> done;
  bool to_mailbox = false;
  auto note = [&](const std::string& how) {
    if (std::find(done.begin(), done.end(), how) == done.end()) done.push_back(how);
  };
  for (auto& g : items) {
    const ForwardItem& it = g.item;
    switch (it.kind) {
      case Kind::include:
        continue;  // gather() put its items in its place
      case Kind::command: {
        auto d = deliver_command(env, content, t, it.value, prefix, u.name, false);
        if (!d) return d.error();
        note(d->how);
        continue;
      }
      case Kind::file: {
        auto d = deliver_file(env, content, it.value, prefix, u.name);
        if (!d) return d.error();
        note(d->how);
        continue;
      }
      case Kind::mailbox:
      case Kind::address: {
        std::string a = it.value.find('@') == std::string::npos ? it.value + "@" + domain : it.value;
        auto a_at = a.rfind('@');
        // The user's own name, with `\` or without (Postfix's self-reference):
        // the mailbox, without reading .forward again.
        if (str::iequals(a.substr(0, a_at), u.name) && str::iequals(a.substr(a_at + 1), domain)) {
          to_mailbox = true;
          continue;
        }
        if (std::find_if(out.forward_to.begin(), out.forward_to.end(),
                         [&](const std::string& x) { return str::iequals(x, a); }) == out.forward_to.end())
          out.forward_to.push_back(a);
        continue;
      }
    }
  }
  if (to_mailbox) {
    auto d = deliver_mailbox(env, content, t, u, prefix);
    if (!d) return d.error();
    note(d->how);
  }
  if (done.empty() && out.forward_to.empty()) {
    log::warn("{}: {} has no usable entry; delivering to the mailbox", str::printable(t.address), where);
    return std::optional<Delivered>();
  }
  for (auto& h : done) out.how += (out.how.empty() ? "" : ", ") + h;
  return std::optional<Delivered>(std::move(out));
}

}  // namespace tern::delivery
