// libFuzzer target: recipient expansion through aliases(5), :include: files
// and virtual aliases (rewriter.h). Input: the aliases file, NUL, the
// :include: file (named "%I" in the aliases), NUL, the virtual alias table,
// NUL, the recipient. The tables are written to a private scratch
// directory per run. Checks that a command or file target only ever comes
// from the administrator's alias text (less its quotes), never from the recipient
// (RELIABILITY.md #15, #16), that :include: may not name commands or files
// here, and that expansion ends (loops are refused, not followed).
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include "config/config.h"
#include "rewrite/rewriter.h"

namespace {

char scratch_dir[] = "/tmp/tern-rewriter-fuzz.XXXXXX";  // a plain array: still valid in atexit

void remove_scratch() {
  for (const char* f : {"/aliases", "/include", "/virtual"}) ::unlink((std::string(scratch_dir) + f).c_str());
  ::rmdir(scratch_dir);
}

const std::string& scratch() {
  static const std::string dir = [] {
    if (!::mkdtemp(scratch_dir)) __builtin_trap();
    std::atexit(remove_scratch);
    return std::string(scratch_dir);
  }();
  return dir;
}

std::string_view next_part(std::string_view& in) {
  size_t nul = in.find('\0');
  std::string_view part = in.substr(0, nul);
  in = nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1);
  return part;
}

void write(const std::string& path, std::string_view text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(text.data(), static_cast<std::streamsize>(text.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string aliases(next_part(in));
  std::string include(next_part(in));
  std::string virt(next_part(in));
  std::string rcpt(in.substr(0, 256));
  const std::string inc_path = scratch() + "/include";
  for (size_t p; (p = aliases.find("%I")) != std::string::npos;) aliases.replace(p, 2, inc_path);
  write(scratch() + "/aliases", aliases);
  write(inc_path, include);
  write(scratch() + "/virtual", virt);
  auto cfg = tern::config::load_string(
      "myhostname = mx.local.test\nmyorigin = local.test\nmydestination = local.test\n"
      "virtual_alias_domains = alias.test\nvirtual_mailbox_domains = box.test\n"
      "virtual_mailbox_base = /base\nrecipient_delimiter = +\n"
      "allow_mail_to_commands = alias\nallow_mail_to_files = alias\n"
      "alias_maps = texthash:" + scratch() + "/aliases\n"
      "virtual_alias_maps = texthash:" + scratch() + "/virtual\n",
      "fuzz.cf");
  if (!cfg.ok()) __builtin_trap();
  auto rw = tern::rewrite::Rewriter::create(cfg.config, [](const std::string& a) { return a.size() % 2 == 0; });
  if (!rw) return 0;  // a table that does not parse
  (void)(*rw)->validate(rcpt);
  auto targets = (*rw)->expand(rcpt);
  if (!targets) return 0;
  using Kind = tern::rewrite::Target::Kind;
  // Items lose their double quotes ("|cmd a,b" is the command |cmd a,b),
  // and inside quotes a backslash its place ("\"" is a quote).
  std::string unquoted;
  bool quoted = false;
  for (size_t i = 0; i < aliases.size(); ++i) {
    if (aliases[i] == '\\' && quoted && i + 1 < aliases.size()) unquoted += aliases[++i];
    else if (aliases[i] == '"') quoted = !quoted;
    else unquoted += aliases[i];
  }
  for (auto& t : *targets) {
    if (t.kind == Kind::command) {
      // Only from aliases (include is not allowed here), text taken verbatim.
      if (t.source != "alias" || unquoted.find(t.command) == std::string::npos) __builtin_trap();
    }
    if (t.kind == Kind::file) {
      if (t.source != "alias" || unquoted.find(t.path) == std::string::npos) __builtin_trap();
    }
    // A virtual account is handed over as an address; only store/mailbox_path
    // turns it into a directory (fuzzed by mailbox_path_fuzz).
    if (t.kind == Kind::virtual_mailbox && (!t.path.empty() || t.address.find('@') == std::string::npos))
      __builtin_trap();
    if (t.address.empty()) __builtin_trap();
  }
  return 0;
}
