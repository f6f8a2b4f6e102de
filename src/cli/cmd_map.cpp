// `tern map build FILE` (postmap) and newaliases: build the indexed (LMDB)
// form of text tables.
#include <cstdio>

#include "base/strings.h"
#include "cli/commands.h"
#include "maps/table.h"

namespace tern::cli {

int cmd_map_build(const std::string& file, bool aliases) {
  auto st = maps::build_indexed(file, aliases ? maps::Format::aliases : maps::Format::table);
  if (!st) {
    std::fprintf(stderr, "tern: %s\n", st.error().detail.c_str());
    return st.error().is_temporary() ? 75 : 65;
  }
  return 0;
}

int cmd_newaliases(const std::string& path) {
  auto cfg = load_config(path, true);
  if (!cfg) return 78;
  int rc = 0, built = 0;
  for (auto& spec : cfg->list("alias_database")) {
    auto colon = spec.find(':');
    std::string type = colon == std::string::npos ? cfg->get("default_database_type") : spec.substr(0, colon);
    std::string file = colon == std::string::npos ? spec : spec.substr(colon + 1);
    if (type != "lmdb" && type != "hash" && type != "btree") continue;  // texthash etc. need no index
    auto st = maps::build_indexed(file, maps::Format::aliases);
    if (!st) {
      std::fprintf(stderr, "tern: %s\n", st.error().detail.c_str());
      rc = 65;
    } else {
      ++built;
    }
  }
  if (built == 0 && rc == 0)
    std::fprintf(stderr, "tern: alias_database names no indexed table (lmdb:, hash:); nothing to build\n");
  return rc;
}

}  // namespace tern::cli
