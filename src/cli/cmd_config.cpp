// `tern check` and `tern config`: validate and print the configuration.
#include <cstdio>

#include "cli/commands.h"
#include "roles/services.h"

namespace tern::cli {

std::shared_ptr<const config::Config> load_config(const std::string& path, bool quiet_warnings) {
  std::string p = config::locate(path);
  auto r = config::load_file(p);
  for (auto& d : r.diagnostics)
    if (d.is_error || !quiet_warnings) std::fprintf(stderr, "%s\n", d.to_string().c_str());
  return r.config;
}

int cmd_check(const std::string& path) {
  auto cfg = load_config(path);
  if (!cfg) return 78;
  auto built = roles::build_services(cfg);
  if (!built) {
    // An error that already names "file:line: " (e.g. a restriction list)
    // gets "error:" after it, like the parser's diagnostics.
    const std::string& d = built.error().detail;
    std::string prefix = cfg->path() + ":";
    size_t sep = d.compare(0, prefix.size(), prefix) == 0 ? d.find(": ", prefix.size() - 1) : std::string::npos;
    if (sep != std::string::npos)
      std::fprintf(stderr, "%s: error: %s\n", d.substr(0, sep).c_str(), d.substr(sep + 2).c_str());
    else
      std::fprintf(stderr, "%s: error: %s\n", cfg->path().c_str(), d.c_str());
    return 78;
  }
  std::printf("%s: configuration OK\n", cfg->path().c_str());
  return 0;
}

int cmd_config(const std::string& path, const std::vector<std::string>& names, bool only_set) {
  auto cfg = load_config(path, true);
  if (!cfg) return 78;
  int rc = 0;
  if (!names.empty()) {
    for (auto& n : names) {
      if (!config::find_param(n) && !cfg->is_set(n)) {
        std::fprintf(stderr, "tern: unknown parameter '%s'; did you mean '%s'?\n", n.c_str(),
                     config::nearest_param(n).c_str());
        rc = 64;
        continue;
      }
      std::printf("%s = %s\n", n.c_str(), cfg->get(n).c_str());
    }
    return rc;
  }
  for (auto& p : config::param_table()) {
    std::string n(p.name);
    if (only_set && !cfg->is_set(n)) continue;
    std::printf("%s = %s\n", n.c_str(), cfg->get(n).c_str());
  }
  return 0;
}

}  // namespace tern::cli
