// main.cf parsing: turns the text into a Config snapshot and the warnings and
// errors `tern check` prints, each with file:line and the fix.
// SECURITY: parses an admin-supplied file (and fuzzed input). No exceptions,
// no recursion on input structure here; expansion limits live in expand.cpp.
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/strings.h"
#include "config/config.h"
#include "config/internal.h"

namespace tern::config {

namespace {

constexpr size_t kMaxFileBytes = 16u << 20;

struct Entry {
  std::string name;
  std::string value;
  int line;
};

bool valid_name(std::string_view n) {
  if (n.empty()) return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string show(std::string_view s) { return str::printable(s, 200); }

}  // namespace

// Befriended by Config: the only code that fills in a snapshot from a file.
struct Loader {
  LoadResult result;
  std::string file;

  void diag(int line, bool error, std::string msg) {
    result.diagnostics.push_back({file, line, error, std::move(msg)});
  }

  // Splits text into logical lines (Postfix rules) and name = value entries.
  std::vector<Entry> parse(std::string_view text) {
    std::vector<Entry> entries;
    enum class State { none, param, bad } state = State::none;
    int ln = 0;
    for (size_t pos = 0; pos < text.size();) {
      size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      std::string_view line = text.substr(pos, end - pos);
      pos = end + 1;
      ++ln;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      std::string_view body = str::trim(line);
      // Blank and comment lines are skipped without ending a logical line.
      if (body.empty() || body.front() == '#') continue;
      if (is_space(line.front())) {
        if (state == State::none) {
          diag(ln, true,
               "syntax error: line starts with white space (a continuation) but no "
               "'name = value' comes before it; remove the leading white space");
          state = State::bad;  // report the first such line only
        } else if (state == State::param) {
          std::string& v = entries.back().value;
          if (!v.empty()) v += ' ';
          v += body;
        }
        continue;
      }
      size_t eq = body.find('=');
      std::string_view name = eq == std::string_view::npos ? "" : str::trim(body.substr(0, eq));
      if (!valid_name(name)) {
        diag(ln, true, "syntax error: expected 'name = value'");
        state = State::bad;  // its continuation lines belong to the bad line
        continue;
      }
      entries.push_back({std::string(name), std::string(str::trim(body.substr(eq + 1))), ln});
      state = State::param;
    }
    return entries;
  }

  // Later definitions override earlier ones; raw() keeps the effective one,
  // in file order.
  void build(std::vector<Entry> entries, Config& cfg) {
    std::unordered_map<std::string, size_t> last;
    for (size_t i = 0; i < entries.size(); ++i) {
      auto [it, fresh] = last.try_emplace(entries[i].name, i);
      if (!fresh) {
        diag(entries[i].line, false,
             fmt::format("'{}' is set again; this overrides the value from line {}", show(entries[i].name),
                         entries[it->second].line));
        it->second = i;
      }
    }
    for (size_t i = 0; i < entries.size(); ++i) {
      if (last[entries[i].name] != i) continue;
      cfg.raw_.emplace_back(std::move(entries[i].name), std::move(entries[i].value));
      cfg.lines_.push_back(entries[i].line);
    }
  }

  // Unknown names, expansion trouble and typed values, on the expanded value.
  void check(const Config& cfg) {
    std::unordered_set<std::string> referenced;
    for (const auto& [name, value] : cfg.raw_)
      for (auto& r : detail::references(value)) referenced.insert(std::move(r));
    for (size_t i = 0; i < cfg.raw_.size(); ++i) {
      const auto& [name, raw] = cfg.raw_[i];
      int ln = cfg.lines_[i];
      const ParamDef* def = find_param(name);
      if (!def && !referenced.count(name)) diag(ln, false, unknown_message(name));
      detail::ExpandReport rep;
      std::string value = detail::expand_param(cfg, name, &rep);
      if (std::find(rep.loops.begin(), rep.loops.end(), name) != rep.loops.end())
        diag(ln, true,
             fmt::format("'{}' refers to itself through $-expansion (a loop, which Postfix refuses too); "
                         "give one of the parameters in the loop a value of its own",
                         show(name)));
      std::vector<std::string> direct = detail::references(raw);
      for (const auto& u : rep.unknown)
        if (std::find(direct.begin(), direct.end(), u) != direct.end() && !delivery_time_name(name, u))
          diag(ln, false, fmt::format("'{}' refers to ${}, which is neither a known parameter nor set; "
                                      "it expands to nothing{}",
                                      show(name), show(u), suggestion(u)));
      if (rep.too_deep)
        diag(ln, true, fmt::format("expansion of '{}' nests deeper than {} levels; give a parameter on the "
                                   "way a value of its own",
                                   show(name), detail::kMaxDepth));
      if (rep.truncated)
        diag(ln, true, fmt::format("expansion of '{}' is too large (over {} $-references or {} bytes); "
                                   "write the value out or use a table",
                                   show(name), detail::kMaxReferences, detail::kMaxExpandedLength));
      if (!def) continue;
      std::string problem = detail::check_value(*def, value);
      if (problem.empty()) continue;
      if (value == raw)
        diag(ln, true, fmt::format("{} = {}: {}", name, show(raw), problem));
      else
        diag(ln, true, fmt::format("{} = {} (expands to '{}'): {}", name, show(raw), show(value), problem));
    }
  }

  static std::string suggestion(std::string_view name) {
    if (name.size() > 64) return "";  // no parameter name is that long
    std::string near = nearest_param(name);
    size_t d = detail::edit_distance(name, near);
    if (near.empty() || d > std::max<size_t>(2, name.size() / 3)) return "";
    return fmt::format("; did you mean '{}'?", near);
  }

  // Names local delivery expands itself in forward_path (delivery/dot_forward.h).
  static bool delivery_time_name(std::string_view param, std::string_view ref) {
    if (param != "forward_path") return false;
    for (std::string_view n : {"user", "home", "shell", "extension", "recipient", "local", "domain"})
      if (ref == n) return true;
    return false;
  }

  static std::string unknown_message(std::string_view name) {
    return fmt::format("unknown parameter '{}'{}", show(name), suggestion(name));
  }

  LoadResult run(std::string_view text, const std::string& filename) {
    file = filename;
    auto cfg = std::make_shared<Config>();
    cfg->path_ = filename;
    build(parse(text), *cfg);
    check(*cfg);
    std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(),
                     [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; });
    bool failed = std::any_of(result.diagnostics.begin(), result.diagnostics.end(),
                              [](const Diagnostic& d) { return d.is_error; });
    if (!failed) result.config = std::move(cfg);
    return std::move(result);
  }
};

LoadResult load_string(std::string_view text, const std::string& filename) {
  return Loader().run(text, filename);
}

LoadResult load_file(const std::string& path) {
  auto text = fs::read_file(path, kMaxFileBytes);
  if (!text) {
    LoadResult r;
    r.diagnostics.push_back({path, 0, true, text.error().detail});
    return r;
  }
  return load_string(*text, path);
}

}  // namespace tern::config
