// Internal to the maps module: the constructors open_table() dispatches to,
// and the source-file reader they share. Not for use by other modules.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.h"
#include "maps/table.h"

namespace tern::maps::detail {

// Reads a table source file. A missing or unreadable file is a temporary
// error (the administrator may be about to create it; mail waits rather than
// bounces); a file too large to be a table is permanent.
Result<std::string> read_source(const std::string& path);

// An in-memory table over a map whose keys are already lower case
// (texthash and inline tables); lookups fold the key.
std::shared_ptr<Table> make_memory_table(std::string spec, std::unordered_map<std::string, std::string> map);

Result<std::shared_ptr<Table>> open_texthash(std::string spec, const std::string& path, Format format);
Result<std::shared_ptr<Table>> open_lmdb(std::string spec, const std::string& path, Format format);
Result<std::shared_ptr<Table>> open_cidr(std::string spec, const std::string& path);
// body: the text after "inline:", e.g. "{ a=b, c=d }".
Result<std::shared_ptr<Table>> open_inline(std::string spec, std::string_view body);

}  // namespace tern::maps::detail
