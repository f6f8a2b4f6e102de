// `tern dns mx DESTINATION` and `tern dns ptr ADDRESS`: the resolver's view,
// for admins ("where would mail for example.com go?") and for the tests,
// which drive the dns module through it against a real DNS server.
// Registered by dispatch.cpp with one object; run() after parsing.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace tern::cli {

class DnsCommand {
 public:
  // config_path is read at run(), after parsing has filled it.
  DnsCommand(CLI::App& app, const std::string& config_path);
  explicit operator bool() const { return mx_->parsed() || ptr_->parsed(); }
  int run() const;

 private:
  const std::string& config_path_;
  CLI::App* mx_;
  CLI::App* ptr_;
  std::string target_;
};

}  // namespace tern::cli
