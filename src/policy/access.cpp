// Access-table lookups (see access.h).
#include "policy/access.h"

#include "base/log.h"
#include "base/strings.h"

namespace tern::policy {
namespace {

const char* tag(Stage s) {
  switch (s) {
    case Stage::connect: return "connect:";
    case Stage::mail: return "from:";
    case Stage::rcpt: return "to:";
  }
  return "";
}

bool is_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

Verdict parse_access_value(std::string_view raw) {
  std::string_view v = str::trim(raw);
  auto sp = v.find_first_of(" \t");
  std::string_view word = v.substr(0, sp);
  std::string_view rest = sp == std::string_view::npos ? std::string_view() : str::trim(v.substr(sp));
  if (str::iequals(word, "OK")) return {Verdict::Action::ok, 0, "", ""};
  if (str::iequals(word, "RELAY")) return {Verdict::Action::relay, 0, "", ""};
  if (str::iequals(word, "DUNNO")) return {};
  if (str::iequals(word, "DISCARD")) return {Verdict::Action::discard, 0, "", ""};
  if (str::iequals(word, "REJECT"))
    return Verdict::reject(554, "5.7.1", rest.empty() ? "Access denied" : str::printable(rest, 200));
  // sendmail: ERROR:5.7.1:550 text  or  ERROR:"550 text"
  if (str::istarts_with(v, "ERROR:")) {
    std::string_view e = v.substr(6);
    if (!e.empty() && e.front() == '"') e = e.substr(1, e.size() >= 2 ? e.size() - 2 : 0);
    std::string enhanced;
    if (e.size() > 6 && e[1] == '.' && (e[0] == '4' || e[0] == '5')) {
      auto colon = e.find(':');
      if (colon != std::string_view::npos) {
        enhanced = std::string(e.substr(0, colon));
        e = e.substr(colon + 1);
      }
    }
    v = e;
    sp = v.find_first_of(" \t");
    word = v.substr(0, sp);
    rest = sp == std::string_view::npos ? std::string_view() : str::trim(v.substr(sp));
    if (is_digits(word) && word.size() == 3 && (word[0] == '4' || word[0] == '5')) {
      int code = (word[0] - '0') * 100 + (word[1] - '0') * 10 + (word[2] - '0');
      if (enhanced.empty()) enhanced = word[0] == '4' ? "4.7.1" : "5.7.1";
      return Verdict::reject(code, enhanced, rest.empty() ? "Access denied" : str::printable(rest, 200));
    }
  }
  if (word.size() == 3 && is_digits(word) && (word[0] == '4' || word[0] == '5')) {
    int code = (word[0] - '0') * 100 + (word[1] - '0') * 10 + (word[2] - '0');
    std::string enhanced = word[0] == '4' ? "4.7.1" : "5.7.1";
    auto sp2 = rest.find(' ');
    std::string_view first = rest.substr(0, sp2);
    if (first.size() >= 5 && first[0] == word[0] && first[1] == '.') {
      enhanced = std::string(first);
      rest = sp2 == std::string_view::npos ? std::string_view() : str::trim(rest.substr(sp2));
    }
    return Verdict::reject(code, enhanced, rest.empty() ? "Access denied" : str::printable(rest, 200));
  }
  log::warn("access table: unknown action '{}'; answering with a temporary error", str::printable(v, 100));
  return Verdict::reject(451, "4.3.0", "Temporary lookup failure");
}

Verdict AccessTables::lookup_keys(Stage stage, const std::vector<std::string>& keys) const {
  for (auto& t : tables_) {
    for (auto& k : keys) {
      for (int tagged = tagged_ ? 1 : 0; tagged >= 0; --tagged) {
        std::string key = tagged ? std::string(tag(stage)) + k : k;
        auto r = t->lookup(key);
        if (r.status == maps::Status::try_again) {
          log::warn("{}: lookup of {} failed: {}", t->spec(), key, r.detail);
          return Verdict::reject(451, "4.3.0", "Temporary lookup failure");
        }
        if (r.found()) {
          Verdict v = parse_access_value(r.value);
          if (v.action != Verdict::Action::dunno) return v;
        }
      }
    }
  }
  return {};
}

Verdict AccessTables::check_client(std::string_view ip) const {
  if (tables_.empty()) return {};
  std::vector<std::string> keys{str::lower(ip)};
  if (ip.find(':') == std::string_view::npos) {
    std::string p(ip);
    for (;;) {
      auto dot = p.rfind('.');
      if (dot == std::string::npos) break;
      p.resize(dot);
      keys.push_back(p);
    }
  }
  return lookup_keys(Stage::connect, keys);
}

namespace {

// "a.b.example" -> keys "a.b.example", "b.example", "example".
void add_domain_keys(std::string domain, std::vector<std::string>& keys) {
  for (;;) {
    keys.push_back(domain);
    auto dot = domain.find('.');
    if (dot == std::string::npos) break;
    domain = domain.substr(dot + 1);
  }
}

}  // namespace

Verdict AccessTables::check_address(Stage stage, std::string_view address) const {
  if (tables_.empty()) return {};
  std::string a = str::lower(address);
  std::vector<std::string> keys{a};
  auto at = a.rfind('@');
  if (at != std::string::npos) {
    add_domain_keys(a.substr(at + 1), keys);
    keys.push_back(a.substr(0, at + 1));  // "user@"
  }
  return lookup_keys(stage, keys);
}

Verdict AccessTables::check_domain(Stage stage, std::string_view name) const {
  if (tables_.empty() || name.empty()) return {};
  std::vector<std::string> keys;
  add_domain_keys(str::lower(name), keys);
  return lookup_keys(stage, keys);
}

}  // namespace tern::policy
