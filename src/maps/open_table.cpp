// open_table(): turns a "type:name" spec from main.cf into a Table, the one
// place that knows which types exist. Postfix's hash: and btree: are served
// by the lmdb table (Berkeley DB is gone from modern systems; Postfix itself
// moved to lmdb), so existing configurations keep working after
// `tern map build` / `newaliases`.
//
// SECURITY: the spec comes from configuration; it is only split at the first
// ':' and dispatched, and errors quote it through str::printable.
#include <fmt/format.h>

#include "base/strings.h"
#include "maps/table_types.h"

namespace tern::maps {

Result<std::shared_ptr<Table>> open_table(std::string_view spec_in, Format format) {
  std::string_view spec = str::trim(spec_in);
  size_t colon = spec.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return Error::perm(fmt::format("table '{}' has no type; expected type:name, e.g. lmdb:/etc/postfix/access",
                                   str::printable(spec, 200)));
  std::string type = str::lower(spec.substr(0, colon));
  std::string_view name = spec.substr(colon + 1);
  std::string s(spec);
  if (type == "inline") return detail::open_inline(std::move(s), name);
  if (name.empty()) return Error::perm(fmt::format("table '{}': missing file name", str::printable(spec, 200)));
  std::string path(name);
  if (type == "texthash") return detail::open_texthash(std::move(s), path, format);
  if (type == "lmdb" || type == "hash" || type == "btree") return detail::open_lmdb(std::move(s), path, format);
  if (type == "cidr") return detail::open_cidr(std::move(s), path);
  return Error::perm(fmt::format("table '{}': unsupported type '{}' (supported: lmdb, hash, btree, texthash, cidr, inline)",
                                 str::printable(spec, 200), str::printable(type, 50)));
}

}  // namespace tern::maps
