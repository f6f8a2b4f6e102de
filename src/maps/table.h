// Lookup tables, like Postfix's dict(3): a table is chosen by "type:name"
// and answers found / not found / try again. Keys are matched
// case-insensitively (tables fold keys to lower case when they are built).
//
// Types: texthash:/path (plain text, read into memory), lmdb:/path (indexed,
// reads /path.lmdb built by `tern map build` / newaliases), hash:/path and
// btree:/path (accepted as lmdb, so Postfix configurations work),
// cidr:/path (network prefixes), inline:{ key=value, ... }.
// An alias file is a table whose source format is the aliases(5) one.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace tern::maps {

enum class Status { found, not_found, try_again };

struct Lookup {
  Status status = Status::not_found;
  std::string value;   // when found
  std::string detail;  // when try_again: why, for the log
  bool found() const { return status == Status::found; }
};

class Table {
 public:
  virtual ~Table() = default;
  virtual Lookup lookup(std::string_view key) const = 0;
  virtual const std::string& spec() const = 0;  // "type:name" as configured
};

// The source file format of a table.
enum class Format { table, aliases };

struct Entry {
  std::string key;    // lower-cased
  std::string value;  // right-hand side, white space trimmed, continuation lines joined
  int line = 0;
};

// Parses "key value" lines (Postfix table format): `#` comments, blank lines,
// continuation lines that start with white space. Errors name file:line.
Result<std::vector<Entry>> parse_table_text(std::string_view text, const std::string& filename);
// Parses aliases(5): "name: value, value" with the same comment and continuation rules.
Result<std::vector<Entry>> parse_aliases_text(std::string_view text, const std::string& filename);
// Both parsers keep the first of duplicate keys (as Postfix does) and log a
// warning for each later one. This form collects the warnings instead of
// logging them ("file:line: ..." strings), for tools and fuzzers.
Result<std::vector<Entry>> parse_text(std::string_view text, const std::string& filename, Format format,
                                      std::vector<std::string>* warnings);

// Opens a table by spec. format says how to read a text source (texthash).
Result<std::shared_ptr<Table>> open_table(std::string_view spec, Format format = Format::table);

// Builds the indexed form (path + ".lmdb") of a text source, atomically
// (write beside, fsync, rename). Used by `tern map build` and `newaliases`.
// (tern::Status, not the lookup Status above: errors name file:line.)
tern::Status build_indexed(const std::string& source_path, Format format);

}  // namespace tern::maps
