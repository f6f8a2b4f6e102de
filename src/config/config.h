// Config: an immutable snapshot of main.cf, handed to code that needs it
// (never a global). Parsing follows Postfix's main.cf rules: `name = value`,
// `#` comments, continuation lines that start with white space, `$name` and
// `${name}` expansion at lookup time, lists split on commas and white space.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace tern::config {

enum class Type { string, integer, boolean, list, duration, size, address_list };

// One row of the parameter table: drives defaults, `tern check` and docs.
struct ParamDef {
  std::string_view name;
  Type type;
  std::string_view default_value;  // may contain $name references
  std::string_view doc;            // one line
};
const std::vector<ParamDef>& param_table();
const ParamDef* find_param(std::string_view name);
// The known parameter closest to `name` (edit distance), for "did you mean".
std::string nearest_param(std::string_view name);
// The word of `choices` closest to `word` (edit distance, any case), or ""
// when none is within a third of its length: the "did you mean" of other
// vocabularies (e.g. the smtpd restriction names).
std::string nearest_word(std::string_view word, const std::vector<std::string_view>& choices);

struct Diagnostic {
  std::string file;
  int line = 0;
  bool is_error = false;
  std::string message;  // includes the fix, e.g. "did you mean 'mydestination'?"
  std::string to_string() const;  // "file:line: error: message"
};

class Config {
 public:
  // Expanded value ($name recursively, with a depth limit). Unknown names
  // expand to "". A parameter that was never set yields its table default.
  std::string get(std::string_view name) const;
  std::vector<std::string> list(std::string_view name) const;  // split_list of get()
  long long integer(std::string_view name) const;  // validated at load time
  bool boolean(std::string_view name) const;       // yes/no/true/false/1/0
  long long seconds(std::string_view name) const;  // "300", "300s", "5m", "2h", "1d", "1w"
  long long bytes(std::string_view name) const;    // "10240000", "10k", "10m", "1g"
  // A size limit where 0 means none, as Postfix reads message_size_limit:
  // the value, or kNoLimit.
  static constexpr uint64_t kNoLimit = UINT64_MAX;
  uint64_t limit_bytes(std::string_view name) const;
  bool is_set(std::string_view name) const;        // set explicitly in the file
  // Where a parameter was set ("main.cf:12"), or "default".
  std::string origin(std::string_view name) const;
  // A configuration error about one parameter, worded as every module
  // words it: "main.cf:12: name: detail" ("name: detail" for a default);
  // `detail` says what is wrong and the fix.
  Error error(std::string_view name, const std::string& detail) const;
  const std::string& path() const { return path_; }
  // Raw (unexpanded) explicitly set values, in file order.
  const std::vector<std::pair<std::string, std::string>>& raw() const { return raw_; }
  // A copy with one parameter overridden (tests, `-o name=value`).
  std::shared_ptr<const Config> with(std::string_view name, std::string_view value) const;

 private:
  friend struct Loader;
  std::string path_;
  std::vector<std::pair<std::string, std::string>> raw_;  // name, raw value
  std::vector<int> lines_;                                // line of each raw_ entry
};

struct LoadResult {
  std::shared_ptr<const Config> config;  // null if any error
  std::vector<Diagnostic> diagnostics;   // warnings and errors
  bool ok() const { return config != nullptr; }
};

// Parses main.cf text. Unknown parameter: warning naming the nearest known one.
// Bad value for a typed parameter (integer, boolean, duration, size): error with file:line.
LoadResult load_string(std::string_view text, const std::string& filename);
LoadResult load_file(const std::string& path);

// The configuration file a command should use: -c FILE, else $TERN_CONFIG,
// else /etc/tern/main.cf. `explicit_path` is "" when -c was not given.
std::string locate(const std::string& explicit_path);

// The embedded default configuration used by `tern serve --demo` and the
// README's first command: high ports, a demo domain, state under ./var.
std::string_view embedded_demo_config();

}  // namespace tern::config
