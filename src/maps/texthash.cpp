// texthash:/path: a table read from its text source into memory when it is
// opened, so no indexed file has to be built (Postfix's texthash type). Good
// for small tables; changes are seen only when the table is opened again.
//
// SECURITY: the file is parsed by parse_text (see table_text.cpp); lookups
// only read an immutable hash map, so they are safe from several threads.
#include <unordered_map>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "maps/table_types.h"

namespace tern::maps {
namespace {

class MemoryTable final : public Table {
 public:
  MemoryTable(std::string spec, std::unordered_map<std::string, std::string> map)
      : spec_(std::move(spec)), map_(std::move(map)) {}

  Lookup lookup(std::string_view key) const override {
    auto it = map_.find(str::lower(key));
    if (it == map_.end()) return {};
    return {Status::found, it->second, {}};
  }

  const std::string& spec() const override { return spec_; }

 private:
  std::string spec_;
  std::unordered_map<std::string, std::string> map_;
};

}  // namespace

namespace detail {

std::shared_ptr<Table> make_memory_table(std::string spec, std::unordered_map<std::string, std::string> map) {
  return std::make_shared<MemoryTable>(std::move(spec), std::move(map));
}

Result<std::string> read_source(const std::string& path) {
  auto text = fs::read_file(path);
  if (text) return text;
  if (!fs::exists(path))
    return Error::temp(fmt::format("table source {} does not exist; try again once it is created", path));
  return text.error();
}

Result<std::shared_ptr<Table>> open_texthash(std::string spec, const std::string& path, Format format) {
  auto text = read_source(path);
  if (!text) return text.error();
  auto entries = parse_text(*text, path, format, nullptr);
  if (!entries) return entries.error();
  std::unordered_map<std::string, std::string> map;
  map.reserve(entries->size());
  for (auto& e : *entries) map.emplace(std::move(e.key), std::move(e.value));  // the parser dropped duplicates
  return make_memory_table(std::move(spec), std::move(map));
}

}  // namespace detail
}  // namespace tern::maps
