// Implementation of Canonical (see canonical.h).
#include "rewrite/canonical.h"

#include <fmt/format.h>

#include "base/strings.h"
#include "rewrite/tables.h"

namespace tern::rewrite {

namespace {

unsigned classes_of(const config::Config& cfg, const char* param) {
  unsigned c = 0;
  for (auto& name : cfg.list(param)) {
    if (str::iequals(name, "envelope_sender")) c |= Canonical::envelope_sender;
    if (str::iequals(name, "envelope_recipient")) c |= Canonical::envelope_recipient;
    if (str::iequals(name, "header_sender")) c |= Canonical::header_sender;
    if (str::iequals(name, "header_recipient")) c |= Canonical::header_recipient;
  }
  return c;
}

// The first address of a table's answer ("b@x", "@x"), without spaces.
std::string first_value(const std::string& v) {
  std::string s(str::trim(v));
  auto cut = s.find_first_of(" \t,");
  return cut == std::string::npos ? s : s.substr(0, cut);
}

}  // namespace

Result<std::shared_ptr<const Canonical>> Canonical::create(const config::Config& cfg) {
  auto c = std::make_shared<Canonical>();
  Status st = ok_status();
  auto open = [&](Maps& m, const char* param, const char* classes) {
    m.param = param;
    m.tables = open_tables(cfg, param, maps::Format::table, st);
    m.classes = classes_of(cfg, classes);
  };
  open(c->sender_, "sender_canonical_maps", "sender_canonical_classes");
  if (!st) return st.error();
  open(c->recipient_, "recipient_canonical_maps", "recipient_canonical_classes");
  if (!st) return st.error();
  open(c->common_, "canonical_maps", "canonical_classes");
  if (!st) return st.error();
  for (auto& d : cfg.list("masquerade_domains")) c->masq_domains_.push_back(str::lower(d));
  for (auto& u : cfg.list("masquerade_exceptions")) c->masq_exceptions_.push_back(str::lower(u));
  c->masq_classes_ = classes_of(cfg, "masquerade_classes");
  c->local_domains_.push_back(str::lower(cfg.get("myorigin")));
  for (auto& d : cfg.list("mydestination")) c->local_domains_.push_back(str::lower(d));
  c->delimiter_ = cfg.get("recipient_delimiter");
  c->propagate_ = in_list(cfg.list("propagate_unmatched_extensions"), "canonical");
  return std::shared_ptr<const Canonical>(std::move(c));
}

bool Canonical::active(unsigned classes) const {
  auto on = [classes](const Maps& m) { return !m.tables.empty() && (m.classes & classes); };
  return on(sender_) || on(recipient_) || on(common_) || (!masq_domains_.empty() && (masq_classes_ & classes));
}

Result<std::string> Canonical::rewrite(const std::string& address, Class c) const {
  if (address.empty()) return address;
  std::string a = address;
  const Maps& own = (c == envelope_sender || c == header_sender) ? sender_ : recipient_;
  for (const Maps* m : {&own, &common_}) {
    if (m->tables.empty() || !(m->classes & c)) continue;
    auto r = map(a, *m);
    if (!r) return r.error();
    a = std::move(*r);
  }
  if (masq_classes_ & c) a = masquerade(a);
  return a;
}

Result<std::string> Canonical::map(const std::string& address, const Maps& m) const {
  auto [local, domain] = split_at(address);
  if (domain.empty()) return address;  // unqualified: nothing to look up by
  std::string base = local, ext;
  if (!delimiter_.empty()) {
    auto cut = local.find_first_of(delimiter_);
    if (cut != std::string::npos && cut > 0) {
      base = local.substr(0, cut);
      ext = local.substr(cut);
    }
  }
  bool is_local = in_list(local_domains_, domain);
  // (key, whether a match on it leaves the extension unmatched)
  std::vector<std::pair<std::string, bool>> keys{{str::lower(local + "@" + domain), false}};
  if (!ext.empty()) keys.push_back({str::lower(base + "@" + domain), true});
  if (is_local) {
    keys.push_back({str::lower(local), false});
    if (!ext.empty()) keys.push_back({str::lower(base), true});
  }
  keys.push_back({"@" + domain, false});
  for (auto& [key, unmatched] : keys) {
    auto r = first_match(m.tables, key);
    if (r.status == maps::Status::try_again)
      return Error::with_dsn("4.3.0", fmt::format("{}: lookup of {} failed: {}", m.param, key, r.detail));
    if (!r.found()) continue;
    std::string v = first_value(r.value);
    if (v.empty()) return address;
    if (v.front() == '@') return local + v;  // "@other": keep the local part (and its extension)
    return unmatched && propagate_ ? with_extension(v, ext) : v;
  }
  return address;
}

std::string Canonical::masquerade(const std::string& address) const {
  auto [local, domain] = split_at(address);
  if (domain.empty() || in_list(masq_exceptions_, str::lower(local))) return address;
  for (auto& entry : masq_domains_) {
    bool keep = !entry.empty() && entry.front() == '!';
    std::string name = keep ? entry.substr(1) : entry;
    if (name.empty()) continue;
    if (domain == name) return address;  // already the short form (or excepted)
    if (domain.size() > name.size() + 1 && domain.ends_with(name) && domain[domain.size() - name.size() - 1] == '.')
      return keep ? address : local + "@" + name;
  }
  return address;
}

}  // namespace tern::rewrite
