// Helpers the rewriting steps share (the Rewriter's expansion at delivery,
// Canonical's rewriting at receipt): opening a list of tables from a
// parameter, the first answer of a list, address splitting and Postfix's
// propagation of an unmatched +extension.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "maps/table.h"

namespace tern::rewrite {

// "User@Example.COM." -> {"User", "example.com"}; no '@': {address, ""}.
std::pair<std::string, std::string> split_at(const std::string& address);
bool in_list(const std::vector<std::string>& list, const std::string& domain);
// Opens every table the parameter lists; a failure sets st (permanent,
// naming the parameter) and returns what was opened so far.
std::vector<std::shared_ptr<maps::Table>> open_tables(const config::Config& cfg, const char* param,
                                                      maps::Format format, Status& st);
// The first table's answer that is not "not found".
maps::Lookup first_match(const std::vector<std::shared_ptr<maps::Table>>& tables, const std::string& key);
// "b@x" with the unmatched extension "+tag" -> "b+tag@x".
std::string with_extension(const std::string& address, const std::string& suffix);

}  // namespace tern::rewrite
